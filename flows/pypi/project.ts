// The PyPI project a checkout publishes, read from its packaging metadata so `rotate init` can
// propose it: `[project] name` in pyproject.toml (PEP 621), else `[metadata] name` in setup.cfg.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The value of `name = "…"` inside the first `[section]` of an INI- or TOML-like file. */
function nameIn(text: string, section: string): string | undefined {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((line) => line.trim() === `[${section}]`);
  if (start < 0) return undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\s*\[/.test(line)) return undefined;
    const match = /^\s*name\s*=\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

export function detectPypiProject(cwd: string): string | undefined {
  const read = (file: string) => (existsSync(join(cwd, file)) ? readFileSync(join(cwd, file), "utf8") : undefined);
  const pyproject = read("pyproject.toml");
  const setupCfg = read("setup.cfg");
  return (pyproject && nameIn(pyproject, "project")) ?? (setupCfg && nameIn(setupCfg, "metadata")) ?? undefined;
}
