/*
 * Before each test file (vitest.config.ts setupFiles). Files share their
 * worker process (isolate: false): a process and vitest's start for each file
 * cost more CPU than most files' tests. What a file may assume of a fresh
 * process still holds: the previous file's process "exits" (its exit handlers
 * run, as the sanitizer's leak report at exit), and the module registry is
 * emptied, so dmashim's modules load afresh (no current machine, no
 * WARN_ON_ONCE seen, allocation sites on as under vitest).
 */
import { vi } from 'vitest';

for (const l of process.listeners('exit')) {
  process.off('exit', l);
  l.call(process, 0);
}
vi.resetModules();
