/*
 * The compile cache of `dmashim run`: a program built once is not built again
 * while nothing that went into it changed. Most runs (a test suite, an
 * edit-run loop on one file among many) rebuild the same program with the
 * same flags, and the compile is the largest part of a warm run.
 *
 * The key is what the compiler is given: the compiler itself (its resolved
 * path, size and modification time), the working directory, the arguments
 * (flags, the bridge objects' directory, which is keyed by dmashim's headers
 * and native/), and every input's contents. An entry also lists every header
 * the program included (from `cc -M`) with a hash of its contents, checked on
 * each hit, so an edited header of the user's, or an updated system header,
 * rebuilds. A header whose size, inode and change and modification times are
 * those recorded with its hash is taken as unchanged without reading it: any
 * write sets its change time, which no tool can set back. Entries live next to the bridge objects, in the per-user cache
 * directory; the oldest go when there are more than CACHE_ENTRIES.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';

/**
 * `dir` made if missing (mode 0700), or null when it is not a directory of this user's that only this user can write:
 * the cache's objects are linked into programs and loaded, so a directory another user made or may write (a shared
 * TMPDIR is world-writable) could hand us their code. `why` gets the reason. A symbolic link is followed: the
 * directory it leads to is what must be private. cjs/load-bundle.cjs checks the same before it reads a code cache
 * there (plain CommonJS: it runs before any of this is loaded).
 */
export function private_cache_dir(dir: string, why: (reason: string) => void): string | null {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      why(`cannot make it: ${(e as Error).message}`);
      return null;
    }
  }
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (e) {
    why(`cannot read it: ${(e as Error).message}`);
    return null;
  }
  const uid = process.getuid?.();
  if (!st.isDirectory()) why('it is not a directory');
  else if (uid !== undefined && st.uid !== uid) why(`it belongs to uid ${st.uid}, not to this user (uid ${uid})`);
  else if ((st.mode & 0o022) !== 0) why(`others may write to it (mode ${(st.mode & 0o777).toString(8)})`);
  else return dir;
  return null;
}

/* How many programs the cache keeps. */
const CACHE_ENTRIES = 128;

interface Entry {
  /** The shared object's file name in the entry's directory. */
  so: string;
  /** Every file the preprocessor read, with the sha256 of its contents when built and its stat then (stat_sig). */
  deps: [string, string, string?][];
}

/* A shared object replaced by a newer build is removed after this long: a run that found it has loaded it by then. */
const STALE_SO_MS = 60_000;

/*
 * What a write to a file changes: its size, change and modification times, and which file it is. The times are
 * node's milliseconds as doubles (sub-microsecond steps): a bigint stat costs ~0.1 ms a file, a run checks dozens.
 * The "m" tells these from the nanosecond signatures of earlier versions, which never match (the file is then hashed
 * once, and the entry updated).
 */
function stat_sig(file: string): string | null {
  try {
    const s = statSync(file);
    return `m${s.size}:${s.ino}:${s.ctimeMs}:${s.mtimeMs}`;
  } catch {
    return null;
  }
}

function hash_file(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/** The compiler as a file: a new compiler at the same name is another compiler. */
export function compiler_identity(cc: string, env: NodeJS.ProcessEnv): string {
  const candidates = cc.includes('/')
    ? [cc]
    : (env['PATH'] ?? '')
        .split(path.delimiter)
        .filter((d) => d !== '')
        .map((d) => path.join(d, cc));
  for (const c of candidates) {
    try {
      const st = statSync(c);
      if (st.isFile()) return `${path.resolve(c)}|${st.size}|${st.mtimeMs}`;
    } catch {
      // Not in this directory.
    }
  }
  return cc;
}

/**
 * The cache entry's directory for this build (it may not exist yet). `args` are
 * the compiler's arguments without the output file; `inputs` the user's source,
 * object and archive files as given on the command line.
 */
export function program_key(cacheDir: string, cc: string, args: string[], inputs: string[], cwd: string): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([compiler_identity(cc, process.env), cwd, args]));
  for (const f of inputs)
    h.update('\0')
      .update(path.resolve(cwd, f))
      .update('\0')
      .update(hash_file(path.resolve(cwd, f)) ?? '-');
  return path.join(cacheDir, `prog-${h.digest('hex').slice(0, 24)}`);
}

/** The cached shared object if the entry exists and every header it read is unchanged; else null. */
export function program_lookup(dir: string): string | null {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(path.join(dir, 'entry.json'), 'utf8')) as Entry;
  } catch {
    return null;
  }
  if (typeof entry.so !== 'string' || !Array.isArray(entry.deps)) return null;
  let resigned = false;
  for (const dep of entry.deps) {
    const [file, sum, sig] = dep;
    const now = stat_sig(file);
    if (sig !== undefined && now === sig) continue;
    if (hash_file(file) !== sum) return null;
    // Touched but unchanged (a checkout, a build tool): recorded, so that the next run need not read it again.
    if (now !== null && stat_sig(file) === now) {
      dep[2] = now;
      resigned = true;
    }
  }
  const so = path.join(dir, entry.so);
  if (!existsSync(so)) return null;
  if (resigned) {
    const tmp = path.join(dir, `entry.json.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, JSON.stringify(entry));
      renameSync(tmp, path.join(dir, 'entry.json'));
    } catch {
      rmSync(tmp, { force: true });
    }
  }
  try {
    // Most recently used: pruning takes the oldest.
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    // Pruned under us: the entry still answers this run.
  }
  return so;
}

/* `cc -M`'s make rules: the files after each "target:", continuation lines joined, "\ " kept in names. */
export function parse_make_deps(text: string): string[] {
  const files = new Set<string>();
  const joined = text.replace(/\\\n/g, ' ');
  for (const line of joined.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon < 0) continue;
    // Words split at blanks that are not escaped.
    let word = '';
    const rest = `${line.slice(colon + 2)} `;
    for (let i = 0; i < rest.length; i++) {
      const ch = rest[i]!;
      if (ch === '\\' && rest[i + 1] === ' ') {
        word += ' ';
        i++;
      } else if (ch === ' ' || ch === '\t') {
        if (word !== '') files.add(word);
        word = '';
      } else word += ch;
    }
  }
  return [...files];
}

/**
 * Store a built program: `deps` from `cc -M` (relative to cwd). Best effort: a
 * cache that cannot be written only costs the next run a compile. Runs of the
 * same program may store at once and others may be loading it: each build gets
 * its own file, entry.json is replaced atomically, and a replaced build stays
 * until it is surely loaded.
 */
export function program_store(dir: string, so: string, deps: string[], cwd: string): void {
  const name = `${process.pid}-${Date.now()}.so`;
  const tmpSo = path.join(dir, `${name}.tmp`);
  const tmpEntry = path.join(dir, `entry.json.${process.pid}.tmp`);
  try {
    const list: [string, string, string?][] = [];
    for (const d of deps) {
      const file = path.resolve(cwd, d);
      // The stat first: a write between the two leaves a signature that no longer matches, so the next run hashes.
      const sig = stat_sig(file);
      const sum = hash_file(file);
      if (sum === null) return;
      list.push(sig === null ? [file, sum] : [file, sum, sig]);
    }
    mkdirSync(dir, { recursive: true });
    copyFileSync(so, tmpSo);
    renameSync(tmpSo, path.join(dir, name));
    writeFileSync(tmpEntry, JSON.stringify({ so: name, deps: list } satisfies Entry));
    renameSync(tmpEntry, path.join(dir, 'entry.json'));
    const now = Date.now();
    for (const f of readdirSync(dir))
      if (f.endsWith('.so') && f !== name && now - statSync(path.join(dir, f)).mtimeMs > STALE_SO_MS)
        rmSync(path.join(dir, f), { force: true });
    prune(path.dirname(dir));
  } catch {
    rmSync(tmpSo, { force: true });
    rmSync(tmpEntry, { force: true });
  }
}

function prune(cacheDir: string): void {
  const entries = readdirSync(cacheDir)
    .filter((n) => n.startsWith('prog-') && !n.endsWith('.tmp'))
    .map((n) => {
      const p = path.join(cacheDir, n);
      try {
        return { p, t: statSync(p).mtimeMs };
      } catch {
        return { p, t: 0 };
      }
    })
    .sort((a, b) => b.t - a.t);
  for (const e of entries.slice(CACHE_ENTRIES)) rmSync(e.p, { recursive: true, force: true });
}
