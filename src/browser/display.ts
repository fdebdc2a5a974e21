// A visible browser needs a screen. Where there is none (an ssh session, a container), say so
// before launching, in the words that fix it, rather than Playwright's "Target page, context or
// browser has been closed" a few seconds later. macOS and Windows always have one.
import { UsageError } from "../errors.js";

export function hasDisplay(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== "linux" && !platform.endsWith("bsd")) return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

export function requireDisplay(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): void {
  if (!hasDisplay(env, platform)) throw new UsageError("no display: run from a desktop session, under `xvfb-run`, or with --headless");
}
