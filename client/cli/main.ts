/** `callgate` (`npx callgate …`, or `node --import tsx client/cli/main.ts …`). */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2));
