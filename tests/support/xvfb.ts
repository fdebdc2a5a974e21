// A virtual display, so a "visible" browser can run on a machine without a screen (CI installs Xvfb).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export function hasXvfb(): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, "Xvfb")));
}

/** A virtual display, so a "visible" browser can run on a machine without a screen. */
export async function startXvfb(): Promise<{ name: string; stop(): void }> {
  const number = 90 + (process.pid % 100);
  const name = `:${number}`;
  const xvfb: ChildProcess = spawn("Xvfb", [name, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdio: "ignore" });
  const socket = join("/tmp/.X11-unix", `X${number}`);
  for (let waited = 0; !existsSync(socket); waited += 50) {
    if (waited > 10_000 || xvfb.exitCode !== null)
      throw new Error("Xvfb did not start (is the xvfb package installed? .ci/run installs it)");
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, stop: () => void xvfb.kill() };
}
