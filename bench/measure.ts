// Runs one child process and measures it: wall time from spawn to exit, and memory sampled from
// /proc while it runs (Linux). Three memory figures, because each answers a different question:
//   - VmHWM of the child itself: the kernel's own high-water mark of its resident set, exact.
//   - The largest sum of PSS over the child's whole process tree (Chromium's browser, GPU,
//     network and renderer processes). PSS charges each shared page to its sharers in equal
//     parts, so the sum is what the tree really costs; summing RSS counts every page shared
//     between Chromium's processes (its binary, fonts, shared memory) once per process.
//   - The largest sum of RSS over the tree, for comparison with tools that report RSS.
// Sampling misses peaks shorter than the interval; VmHWM does not.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const SAMPLE_EVERY_MS = 100;

export interface Measured {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Epoch milliseconds at spawn, for lining up the timestamps a run reports. */
  startedAt: number;
  wallMs: number;
  /** From the last bytes on stdout (rotate's summary) to the exit. */
  afterOutputMs: number;
  /** kB; 0 where /proc is not available. */
  peakSelfKb: number;
  peakTreePssKb: number;
  peakTreeRssKb: number;
}

export interface RunSpec {
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Written to the child's stdin, which is then closed. */
  stdin?: string;
}

/** A "Name:   1234 kB" field of /proc/<pid>/status or /proc/<pid>/smaps_rollup, in kB. */
function procField(pid: number, file: "status" | "smaps_rollup", field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/${file}`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

/** The pid and every descendant, from the parent pids in /proc/<pid>/stat. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone already
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    (children.get(pid) ?? []).forEach(visit);
  };
  visit(root);
  return tree;
}

export function measure(spec: RunSpec): Promise<Measured> {
  const startedAt = Date.now();
  const started = performance.now();
  const child = spawn(process.execPath, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ["pipe", "pipe", "pipe"] });
  child.stdin.end(spec.stdin ?? "");
  let stdout = "";
  let stderr = "";
  let lastOutput = started;
  child.stdout.on("data", (chunk: Buffer) => {
    lastOutput = performance.now();
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));

  const peak = { self: 0, pss: 0, rss: 0 };
  const sample = () => {
    if (child.pid === undefined || child.exitCode !== null) return;
    const tree = processTree(child.pid);
    peak.self = Math.max(peak.self, procField(child.pid, "status", "VmHWM"));
    peak.pss = Math.max(
      peak.pss,
      tree.reduce((sum, pid) => sum + procField(pid, "smaps_rollup", "Pss"), 0),
    );
    peak.rss = Math.max(
      peak.rss,
      tree.reduce((sum, pid) => sum + procField(pid, "status", "VmRSS"), 0),
    );
  };
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);

  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", () => {
      // Timed at exit, not at close: the pipes may drain a little later.
      const exited = performance.now();
      clearInterval(sampler);
      child.on("close", (code) =>
        resolve({
          code,
          stdout,
          stderr,
          startedAt,
          wallMs: exited - started,
          afterOutputMs: Math.max(0, exited - lastOutput),
          peakSelfKb: peak.self,
          peakTreePssKb: peak.pss,
          peakTreeRssKb: peak.rss,
        }),
      );
    });
  });
}
