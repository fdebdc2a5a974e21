// Where one browser run may write: a throw-away directory that holds Playwright's profile and
// artifacts, and the browser's home, config, cache and temporary directories. Chromium writes
// outside its profile too — Debian's build keeps crash dumps (memory, so secrets) under
// $XDG_CONFIG_HOME/chromium/Crash Reports, dconf and NSS keep files under $HOME, shared memory
// falls back to $TMPDIR — so all of those point inside. The directory is removed at close, and
// one left by a run that was killed is removed by the next run's start. The directory sits in the
// run's temporary directory, or in a short private one when that is too deep (see baseFor).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { homedir, platform, tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.js";

/** "rotate-browser-<pid of the rotate process>-<random>", so a start can tell whose it is. */
const PREFIX = "rotate-browser-";
const OWNED = /^rotate-browser-(\d+)-/;
/**
 * Chromium puts its singleton socket at $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket,
 * and refuses to start when that path does not fit a Unix socket address (sun_path: 104 bytes
 * on macOS, 108 on Linux, the final NUL included): "Target page, context or browser has been
 * closed", with the socket's directory left behind. A TMPDIR of some 60 characters is enough.
 */
const SOCKET_PATH_MAX = platform() === "darwin" ? 104 : 108;
const SINGLETON_SOCKET = "/org.chromium.Chromium.XXXXXX/SingletonSocket";
/** Short private places for the directory when the run's TMPDIR is too deep: per-user first. */
const SHORT_BASES = (env: NodeJS.ProcessEnv) => [env.XDG_RUNTIME_DIR, "/tmp"];

export interface BrowserProfile {
  root: string;
  /** The browser's environment: the given one with its writable locations inside the root. */
  env: NodeJS.ProcessEnv;
  /**
   * Runs `launch` while this process's temporary directory is inside the root: Playwright makes
   * the browser's profile and artifacts directories with os.tmpdir(), and has no option for them.
   */
  asTmpdir<T>(launch: () => Promise<T>): Promise<T>;
  remove(): void;
}

/** Where runs put their directories: the temporary directory of the environment given. */
function tempBase(env: NodeJS.ProcessEnv): string {
  return env.TMPDIR || env.TMP || env.TEMP || tmpdir();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Browser processes still running on a profile under root (the browser of a killed run). */
function browsersUsing(root: string): number[] {
  if (!existsSync("/proc")) return [];
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "latin1")
          .split("\0")
          .some((arg) => arg.startsWith("--user-data-dir=") && arg.includes(root));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * Removes the directories of runs whose rotate process is gone (killed, or the machine lost
 * power), ending a browser that outlived its run first. A pid reused since keeps its directory
 * until that process ends too.
 */
function removeStaleProfiles(env: NodeJS.ProcessEnv): void {
  for (const base of new Set([tempBase(env), ...SHORT_BASES(env).filter((b) => b !== undefined)])) removeStaleUnder(base);
}

function removeStaleUnder(base: string): void {
  const ours = (path: string) => {
    try {
      return process.getuid === undefined || statSync(path).uid === process.getuid();
    } catch {
      return false;
    }
  };
  const stale = (existsSync(base) ? readdirSync(base) : []).filter((name) => {
    const owner = OWNED.exec(name)?.[1];
    // Another user's run in a shared /tmp is theirs to clean.
    return owner !== undefined && Number(owner) !== process.pid && !isAlive(Number(owner)) && ours(join(base, name));
  });
  for (const name of stale) {
    const root = join(base, name);
    for (const pid of browsersUsing(root)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * The directory for this run's browser: in the run's temporary directory when Chromium's socket
 * fits under it, else in a short private one (mkdtemp makes it 0700), which is removed the same way.
 */
function makeRoot(env: NodeJS.ProcessEnv): string {
  const name = `${PREFIX}${process.pid}-`;
  const fits = (base: string) =>
    platform() === "win32" || join(base, `${name}XXXXXX`, "tmp").length + SINGLETON_SOCKET.length < SOCKET_PATH_MAX;
  const bases = [tempBase(env), ...SHORT_BASES(env)].filter((base): base is string => base !== undefined && fits(base));
  for (const base of bases) {
    try {
      return mkdtempSync(join(base, name));
    } catch {
      // not there, or not writable: the next one
    }
  }
  throw new UsageError(
    `the temporary directory ${tempBase(env)} is too deep for Chromium (its socket path would pass ${SOCKET_PATH_MAX} bytes), and no short one could be used (${SHORT_BASES(
      env,
    )
      .filter(Boolean)
      .join(", ")}): set TMPDIR to a shorter directory, e.g. TMPDIR=/tmp, and run again`,
  );
}

export function createProfile(env: NodeJS.ProcessEnv): BrowserProfile {
  removeStaleProfiles(env);
  const root = makeRoot(env);
  const dir = (name: string) => {
    const path = join(root, name);
    mkdirSync(path, { mode: 0o700 });
    return path;
  };
  const [home, config, cache, data, state, tmp] = ["home", "config", "cache", "data", "state", "tmp"].map(dir) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  // A visible browser finds the X server's cookie through $HOME unless XAUTHORITY says where.
  const xauthority = env.XAUTHORITY ?? join(env.HOME ?? homedir(), ".Xauthority");
  return {
    root,
    env: {
      ...env,
      HOME: home,
      XDG_CONFIG_HOME: config,
      XDG_CACHE_HOME: cache,
      XDG_DATA_HOME: data,
      XDG_STATE_HOME: state,
      TMPDIR: tmp,
      ...(existsSync(xauthority) ? { XAUTHORITY: xauthority } : {}),
    },
    async asTmpdir(launch) {
      const before = process.env.TMPDIR;
      process.env.TMPDIR = tmp;
      try {
        return await launch();
      } finally {
        if (before === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = before;
      }
    },
    remove: () => rmSync(root, { recursive: true, force: true, maxRetries: 3 }),
  };
}

/**
 * Chromium's sandbox keeps a hostile page inside its renderer; Chromium refuses to start with
 * it as root, so only root goes without. Windows and macOS have no uid here and keep it.
 */
export function useSandbox(): boolean {
  return process.getuid?.() !== 0;
}
