import { ConfigError, configPathFromEnv } from '../functions/shared/config/load.js';
import { ContextError, createApp } from './callgate-app.js';

const main = (): void => {
  try {
    createApp({ configPath: configPathFromEnv() }).app.synth();
  } catch (error) {
    // A bad config file or context value is the user's to fix: the message names it, a stack trace adds nothing.
    if (error instanceof ConfigError || error instanceof ContextError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
};

main();
