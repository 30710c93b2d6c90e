/**
 * What `npm start` uses when nothing is set, in a file of its own so that the CLI (client/cli/), which
 * drives the local host by default, reads the same values without loading the host.
 */

/** The port `npm start` listens on without PORT or --port. */
export const defaultPort = 3000;

/** The auth token the sandbox verifies webhook signatures with when PLIVO_AUTH_TOKEN is unset. */
export const sandboxAuthToken = 'sandbox-auth-token';
