/*
 * What a `dmashim run` in the CLI's own process (run.ts, run_here) becomes
 * when its program crashed, was stopped by a signal or ran out of time: the C
 * half (native/crash.c) execs `node aftermath.js JOB SIGNO KIND` in the
 * process's place, so the pid, the stdio and the waiting shell stay the same.
 * This judges the run from the job file exactly as run() judges a child that
 * ended that way (judge.ts) and exits with the same status.
 */
import { readFileSync } from 'node:fs';
import { EXIT_SIGNAL_BASE, Output, judge, signal_name, type Ended, type Job } from './judge.ts';

function main(args: string[]): number {
  const [jobFile, signo, kind] = args;
  const sig = signal_name(Number(signo));
  let job: Job;
  try {
    job = JSON.parse(readFileSync(jobFile ?? '', 'utf8')) as Job;
  } catch (e) {
    process.stderr.write(`dmashim: the run ended by signal ${signo} and its job file is unreadable: ${String(e)}\n`);
    return EXIT_SIGNAL_BASE + (Number(signo) || 0);
  }
  const ran: Ended =
    kind === 'timeout'
      ? { status: null, signal: 'SIGKILL', timed_out: true, stop: null, forwarded: false }
      : { status: null, signal: sig, timed_out: false, stop: kind === 'stop' ? sig : null, forwarded: false };
  return judge(job, ran, new Output(true, false)).status;
}

process.exitCode = main(process.argv.slice(2));
