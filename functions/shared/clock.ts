/** Milliseconds since the epoch. Rules take `now` from here so tests and the sandbox can move time. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
