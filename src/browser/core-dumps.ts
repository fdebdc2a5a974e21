// A core dump is the whole memory of a crashed process: every secret rotate or the browser held.
// rotate sets its own core size limit to zero at start, which the browser inherits. Node has no
// setrlimit(); on Linux, util-linux's prlimit sets the limit of a running process by its pid.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { platform } from "node:os";

export interface CoreDumps {
  off: boolean;
  /** When they could not be switched off: one line for the plan, saying so and what to do. */
  note?: string;
}

/** The soft and hard "Max core file size" of this process, from /proc. */
function coreLimits(): [string, string] | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max core file size"));
    const [soft, hard] = line?.slice("Max core file size".length).trim().split(/\s+/) ?? [];
    return soft && hard ? [soft, hard] : undefined;
  } catch {
    return undefined;
  }
}

let decided: CoreDumps | undefined;

export function keepCoreDumpsOff(): CoreDumps {
  decided ??= decide();
  return decided;
}

function decide(): CoreDumps {
  if (platform() !== "linux") {
    // macOS writes cores only when `ulimit -c` was raised; Windows keeps dumps only where
    // Windows Error Reporting is configured to. Neither can be changed from here.
    return {
      off: false,
      note: "rotate cannot switch core dumps off on this system: if `ulimit -c` is not 0 in this shell, a crash could leave a dump holding secrets",
    };
  }
  if (coreLimits()?.every((limit) => limit === "0")) return { off: true };
  const result = spawnSync("prlimit", [`--pid=${process.pid}`, "--core=0:0"], { stdio: "ignore", timeout: 5_000 });
  if (result.status === 0 && coreLimits()?.[0] === "0") return { off: true };
  return {
    off: false,
    note: "core dumps are on and rotate could not switch them off (prlimit from util-linux is missing or refused): a crash could leave a dump holding secrets; run `ulimit -c 0` first",
  };
}
