/** The IT command line, for the installed app's `--ws` mode. */
export { runCliProcess } from './main.ts';
