/* Runs TS scenarios of the table: one vitest test each, the expectation checked field by field. */
import { test, expect } from 'vitest';
import { DmashimError, dmesg_mark, dmesg_since } from '../../src/index.ts';
import { make_world, snapshot, type TsScenario } from './scenarios.ts';

export function run_ts_scenarios(list: TsScenario[]): void {
  for (const s of list) {
    const t = s.known ? test.fails : test;
    t(`${s.id}: ${s.does}`, () => {
      const w = make_world(s.machine);
      const before = snapshot(w);
      const mark = dmesg_mark();
      let value: unknown;
      let thrown: unknown = null;
      try {
        value = s.act(w);
      } catch (e) {
        thrown = e;
      }
      const log = dmesg_since(mark);
      const e = s.expect;
      if (e.throws) {
        expect(thrown, 'a DmashimError').toBeInstanceOf(DmashimError);
        expect((thrown as DmashimError).code).toBe(e.throws);
      } else if (thrown !== null) {
        throw thrown;
      }
      if (e.message) expect((thrown as Error).message).toMatch(e.message);
      if ('returns' in e) {
        if (e.returns === 'nonzero') expect(value).not.toBe(0);
        else expect(value).toBe(e.returns);
      }
      if (e.log) expect(log).toMatch(e.log);
      if (e.quiet) expect(log).toBe('');
      if (e.unchanged) expect(snapshot(w)).toEqual(before);
    });
  }
}
