import type { Deps } from '../deps.js';
import { type PresetInForce, presetInForce } from '../rules/presets.js';

export interface Health {
  readonly status: 'ok';
  readonly businessNumbers: number;
  readonly time: string;
  /** The limits in force: their preset and the settings written over it. */
  readonly preset: PresetInForce;
}

/** Liveness: the function runs, its configuration loaded, and the limits it enforces. */
export const health = (deps: Deps): Health => ({
  status: 'ok',
  businessNumbers: deps.config.numbers.length,
  time: new Date(deps.clock()).toISOString(),
  preset: presetInForce(deps.config.rules),
});
