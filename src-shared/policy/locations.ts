/**
 * Where managed policy lives on each OS, and how its settings are named there. One definition,
 * read by the loader (src-main/policy) and by the generated Group Policy templates and IT guide,
 * so what IT deploys is what the app reads.
 *
 * A setting's name is its path in the policy schema with dots: `lock.idleSeconds`,
 * `central.fhirBaseUrl`. In the Windows registry and in macOS managed preferences each setting is
 * one value of that name: numbers as DWORD / integer, booleans as DWORD 0/1 / boolean, text as
 * REG_SZ / string, and lists or maps (role map, reasons, TLS pins) as JSON text.
 */
export const POLICY_LOCATIONS = {
  /** Group Policy (ADMX) writes here; @vscode/policy-watcher reads it. */
  windowsRegistryKey: 'HKLM\\SOFTWARE\\Policies\\ClinicWorkstation\\ClinicWorkstation',
  /** The policy watcher's product name (the key under Software\\Policies\\ClinicWorkstation). */
  windowsProductName: 'ClinicWorkstation',
  /** A JSON file as alternative to the registry, under %ProgramData%. */
  windowsProgramDataFile: 'ClinicWorkstation\\policy.json',
  macFile: '/Library/Application Support/Clinic Workstation/policy.json',
  /** macOS managed preferences (a configuration profile's payload domain). */
  macPreferenceDomain: 'org.clinicworkstation.app',
  linuxFile: '/etc/clinic-workstation/policy.json',
} as const;
