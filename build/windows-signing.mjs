/**
 * Windows code signing, as the parent configuration of electron-builder.yml (`extends`).
 *
 * Why a module and not lines in the yml: electron-builder does not expand environment variables
 * inside `win.azureSignOptions`, and its schema requires all of endpoint, certificateProfileName,
 * codeSigningAccountName and publisherName as soon as the object exists (and its presence alone
 * switches signing to Azure). So the object is added here, from the environment, only when the
 * release machine asks for Azure Artifact Signing. No secret is read or written here.
 *
 * Two routes, chosen by the environment of the release machine:
 * - Azure Artifact Signing (formerly Trusted Signing), when all three are set:
 *     AZURE_ARTIFACT_SIGNING_ENDPOINT              e.g. https://eus.codesigning.azure.net/
 *     AZURE_ARTIFACT_SIGNING_ACCOUNT               the Artifact Signing account name
 *     AZURE_ARTIFACT_SIGNING_CERTIFICATE_PROFILE   the certificate profile name
 *   plus the Microsoft Entra ID credentials Azure.Identity's EnvironmentCredential reads
 *   (AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or a client certificate).
 * - Otherwise a code-signing certificate through signtool: CSC_LINK and CSC_KEY_PASSWORD (or
 *   WIN_CSC_LINK / WIN_CSC_KEY_PASSWORD), which electron-builder reads itself.
 * With neither, packaging fails: electron-builder.yml sets win.forceCodeSigning.
 */

/**
 * The publisher, pinned once for both routes. It must be exactly the subject of the signing
 * certificate: electron-builder writes it into the app (resources/app-update.yml) and
 * electron-updater refuses a Windows update whose Authenticode signer does not match it. A full
 * distinguished name is compared attribute by attribute; a bare CN only by its common name.
 * Placeholder: the release owner sets the real subject before the first signed release.
 */
export const WINDOWS_PUBLISHER_NAME =
  'CN=Clinic Workstation Placeholder Publisher, O=Clinic Workstation Placeholder Publisher';

const AZURE_VARIABLES = Object.freeze({
  endpoint: 'AZURE_ARTIFACT_SIGNING_ENDPOINT',
  codeSigningAccountName: 'AZURE_ARTIFACT_SIGNING_ACCOUNT',
  certificateProfileName: 'AZURE_ARTIFACT_SIGNING_CERTIFICATE_PROFILE',
});

/** win.azureSignOptions from the environment, or null when Azure signing is not asked for. */
export function azureSignOptionsFromEnv(env = process.env) {
  const entries = Object.entries(AZURE_VARIABLES).map(([field, name]) => [field, name, env[name]?.trim() ?? '']);
  const present = entries.filter(([, , value]) => value !== '');
  if (present.length === 0) return null;
  if (present.length < entries.length) {
    // Half a configuration is a mistake, not a request for the certificate route.
    const missing = entries.filter(([, , value]) => value === '').map(([, name]) => name);
    throw new Error(`Azure Artifact Signing needs ${missing.join(', ')} as well`);
  }
  const options = Object.fromEntries(present.map(([field, , value]) => [field, value]));
  if (!options.endpoint.startsWith('https://'))
    throw new Error('AZURE_ARTIFACT_SIGNING_ENDPOINT must be an https:// URL');
  return { ...options, publisherName: WINDOWS_PUBLISHER_NAME };
}

/** Called by electron-builder when it loads electron-builder.yml. */
export default function windowsSigning() {
  const azureSignOptions = azureSignOptionsFromEnv();
  return {
    win: {
      signtoolOptions: { publisherName: [WINDOWS_PUBLISHER_NAME] },
      ...(azureSignOptions ? { azureSignOptions } : {}),
    },
  };
}
