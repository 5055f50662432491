/* Issue 13's misuse suite, TypeScript API surface: the scenarios of scenarios.ts, each its own test. */
import { describe } from 'vitest';
import { ts_scenarios } from './scenarios.ts';
import { run_ts_scenarios } from './run_ts.ts';

describe('misuse of the TypeScript API', () => run_ts_scenarios(ts_scenarios));
