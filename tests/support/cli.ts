// Runs the real CLI as a child process, the way a responder would, with HOME and TMPDIR in a
// fresh directory of the test's own (so disk scans see everything the run could have written).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { SandboxWorld } from "rotate-replicas";

export const CLI = resolve("dist/src/cli.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** Output so far (for waiting on a line while it runs). */
  output: () => string;
  /** Resolves when some stderr/stdout text matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

export interface Sandbox {
  home: string;
  tmp: string;
  cwd: string;
  cleanup(): void;
}

/** A fresh HOME, TMPDIR and working directory for one run. */
export function freshDirs(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), "rotate-test-"));
  return {
    home: join(root, "home"),
    tmp: join(root, "tmp"),
    cwd: join(root, "work"),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  dirs: Sandbox;
  timeoutMs?: number;
  /** Close the read end of stdout after the first chunk, as `| head -1` does. */
  closeStdoutAfterFirstChunk?: boolean;
}

export function startCli(args: string[], options: StartOptions): CliRun {
  const { dirs } = options;
  for (const dir of [dirs.home, dirs.tmp, dirs.cwd]) mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dirs.cwd,
    env: {
      PATH: process.env.PATH,
      HOME: dirs.home,
      TMPDIR: dirs.tmp,
      XDG_STATE_HOME: join(dirs.home, ".local", "state"),
      CI: "true",
      NO_COLOR: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const listeners: Array<() => void> = [];
  child.stdout?.on("data", (chunk: Buffer) => {
    if (options.closeStdoutAfterFirstChunk) child.stdout?.destroy();
    stdout += chunk.toString();
    listeners.forEach((l) => l());
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    listeners.forEach((l) => l());
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 80_000);
  const done = new Promise<CliResult>((resolveDone) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolveDone({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    output: () => stdout + stderr,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolveWait, reject) => {
        const check = () => {
          if (pattern.test(stdout + stderr)) {
            clearTimeout(giveUp);
            resolveWait();
          }
        };
        const giveUp = setTimeout(() => reject(new Error(`CLI output never matched ${pattern}:\n${stdout}${stderr}`)), timeoutMs);
        listeners.push(check);
        check();
        void done.then(() => {
          if (!pattern.test(stdout + stderr)) {
            clearTimeout(giveUp);
            reject(new Error(`CLI exited before its output matched ${pattern}:\n${stdout}${stderr}`));
          }
        });
      });
    },
    done,
  };
}

const kebab = (attribute: string) => `--${attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The flags and environment that point `rotate <id>` at a sandbox world, non-interactively. */
export function worldArgs(world: SandboxWorld, registryId: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const args = Object.entries(world.flags(registryId)).flatMap(([attribute, value]) => [kebab(attribute), String(value)]);
  // The world's addresses are the replicas on 127.0.0.1, not the official sites: trusted knowingly.
  return { args: [registryId, ...args, "--headless", "--yes", "--trust-urls", "--step-timeout", "10"], env: world.env(registryId) };
}

/** A loopback port nobody listens on right now, for a test's sandbox. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
