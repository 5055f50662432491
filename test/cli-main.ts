/*
 * The compiled CLI's main(argv) in this process, for command lines that end
 * before anything is built (a refusal, status 2, or `cflags`): a node start
 * costs more CPU than the whole check. The real process path (bin/dmashim.js: the exit status,
 * nothing else on stdout or stderr) keeps a few checks of its own in the files
 * that use this.
 *
 * A command line that main() does not refuse must never compile or run a
 * program in the vitest worker: the compiler is made one that cannot exist
 * for the call, so a run that gets past the checks stops at its first build
 * step (nothing compiled, nothing run) and the call throws, saying so.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { with_output_captured } from './bridge/helpers.ts';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'bridge', 'cli.js');
const { main } = (await import(pathToFileURL(CLI).href)) as typeof import('../src/bridge/cli.ts');

/* Not a compiler anywhere: only a run that got past every check would try to start it. */
const NO_CC = '/nonexistent/dmashim-test-refused-before-build/cc';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

function set_env(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/**
 * `dmashim <argv>` in this process, for an argv that must be refused (status 2)
 * before anything is built: its status and what it wrote. `tmpdir` is TMPDIR
 * for the call. Throws when main() got past its checks (the run would have
 * built and run the program: run that command line as a process instead), or
 * when argv chooses the compiler (--cc), which would lift that guard.
 */
export async function cli_refused(argv: string[], tmpdir?: string): Promise<CliResult> {
  const upto = argv.indexOf('--');
  if ((upto < 0 ? argv : argv.slice(0, upto)).some((a) => a === '--cc' || a.startsWith('--cc=')))
    throw new Error(`cli_refused: ${argv.join(' ')}: --cc would let a run past the guard; run it as a process`);
  const saved = { CC: process.env['CC'], TMPDIR: process.env['TMPDIR'] };
  process.env['CC'] = NO_CC;
  if (tmpdir !== undefined) process.env['TMPDIR'] = tmpdir;
  let r: { value: number; stdout: string; stderr: string };
  try {
    r = await with_output_captured(() => main(argv));
  } finally {
    set_env('CC', saved.CC);
    set_env('TMPDIR', saved.TMPDIR);
  }
  const { value: status, stdout, stderr } = r;
  if (stderr.includes(NO_CC))
    throw new Error(
      `cli_refused: dmashim ${argv.join(' ')} got past its checks (status ${status}: ${stderr.trim()}); a process would have built and run the program`,
    );
  return { status, stdout, stderr };
}
