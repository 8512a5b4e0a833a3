/** The managed policy: read from the OS's machine-wide location, validated, fail closed. */
export { describePolicy } from './describe.ts';
export { PolicyError, readPolicyFile, type LoadedPolicy } from './load.ts';
export { loadOsPolicy } from './os-settings.ts';
export { readFileWithOwner, type OwnedFile } from './file-trust.ts';
