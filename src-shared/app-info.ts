/** The product's name and version, as people see them (kept equal to package.json by a test). */
export const APP_NAME = 'Clinic Workstation';
export const APP_VERSION = '0.1.0';
