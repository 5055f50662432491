/* Issue 13's misuse suite, device side: the scenarios of scenarios.ts, each its own test. */
import { describe } from 'vitest';
import { device_scenarios } from './scenarios.ts';
import { run_ts_scenarios } from './run_ts.ts';

describe('misuse of the device side', () => run_ts_scenarios(device_scenarios));
