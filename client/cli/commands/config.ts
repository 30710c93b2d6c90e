import type { Command } from 'commander';
import { ConfigError, readConfigFile } from '../../../functions/shared/config/load.js';
import { presetInForce } from '../../../functions/shared/rules/presets.js';
import { globalOptions } from '../context.js';
import { consoleOutput, exitCodes } from '../output.js';

/** `config validate <file>`: the loader the deploy (infra/app.ts) and `npm start` read the file with. */
export const registerConfig = (program: Command): void => {
  program
    .command('config')
    .description('the configuration file')
    .command('validate')
    .description('check a configuration file as a deploy would; every issue is listed')
    .argument('<file>', 'the configuration file (JSON)')
    .action((file: string, _options, command: Command) => {
      const output = consoleOutput(globalOptions(command).json === true);
      try {
        const config = readConfigFile(file);
        const preset = presetInForce(config.rules);
        const summary = { valid: true, file, businessNumbers: config.numbers.length, preset };
        output.print(
          output.json
            ? JSON.stringify(summary, null, 2)
            : `${file}: valid, ${config.numbers.length} business numbers, preset ${preset.name}${preset.overridden.length > 0 ? ` (overridden: ${preset.overridden.join(', ')})` : ''}`,
        );
        process.exitCode = exitCodes.ok;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        if (output.json) {
          output.print(JSON.stringify({ valid: false, file, message: error.message }, null, 2));
        } else output.note(error.message);
        process.exitCode = exitCodes.refused;
      }
    });
};
