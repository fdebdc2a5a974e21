// A visible browser needs a screen. Where there is none (an ssh session, a container), say so
// before launching, in the words that fix it, rather than Playwright's "Target page, context or
// browser has been closed" a few seconds later. macOS and Windows always have one.
import { UsageError } from "../errors.js";

export function requireDisplay(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): void {
  if (platform !== "linux" && !platform.endsWith("bsd")) return;
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return;
  throw new UsageError("no display: run from a desktop session, under `xvfb-run`, or with --headless");
}
