// The README's line that puts `rotate` on PATH, run as written into a throw-away home: the packed
// tool installs and holds only what runs (no tests or bench), its drill replicas install beside it
// as a package of their own, and a drill runs from the installed tool.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, test } from "@playwright/test";

const ROOT = resolve(".");

/** The one command under "Getting `rotate` on your PATH". */
function readmeLine(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Getting `rotate` on your PATH"));
  const line = /```sh\n([^\n]+)\n```/.exec(section)?.[1];
  if (!line) throw new Error("the README has no command under its PATH heading");
  return line.replace(/\s+#.*$/, "");
}

test("the README's PATH line installs the packed tool and its drill replicas into a user prefix, and a drill runs from there without a display", async () => {
  const line = readmeLine();
  expect(line).toBe('npm install --global --prefix ~/.local "$(npm pack --silent)" "$(npm pack --silent ./replicas)"');
  const home = mkdtempSync(join(tmpdir(), "rotate-home-"));
  const before = new Set(readdirSync(ROOT));
  try {
    // As written, with HOME a throw-away directory; npm's cache (filled by npm ci) supplies the dependencies.
    // The suite's build is already there: the prepack build is skipped so it does not rewrite it under running specs.
    execFileSync("bash", ["-c", line], {
      cwd: ROOT,
      env: {
        ...process.env,
        HOME: home,
        npm_config_prefer_offline: "true",
        npm_config_ignore_scripts: "true",
        npm_config_audit: "false",
        npm_config_fund: "false",
      },
      stdio: "pipe",
    });
    const prefix = join(home, ".local");
    const rotate = join(prefix, "bin", "rotate");
    expect(existsSync(rotate)).toBe(true);
    const installed = join(prefix, "lib", "node_modules");
    expect(readdirSync(join(installed, "rotate")).sort()).toEqual(["README.md", "dist", "node_modules", "package.json"]);
    expect(readdirSync(join(installed, "rotate", "dist")).sort()).toEqual(["flows", "src"]);
    // The tool's own dependencies hold none of the replicas' web stack.
    expect(existsSync(join(installed, "rotate", "node_modules", "express"))).toBe(false);
    expect(readdirSync(join(installed, "rotate-replicas")).sort()).toEqual(["dist", "node_modules", "package.json"]);

    const version = spawnSync(rotate, ["--version"], { encoding: "utf8" });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
    // A drill from the installed tool, in a directory of its own, without a display: headless, said once.
    const work = join(home, "work");
    mkdirSync(work);
    const { DISPLAY: _display, WAYLAND_DISPLAY: _wayland, ...env } = process.env;
    const drill = spawnSync(rotate, ["npm", "--sandbox", "--yes", "--step-timeout", "10"], {
      cwd: work,
      encoding: "utf8",
      env: { ...env, HOME: home, ROTATE_SANDBOX_PORT: "1" },
      timeout: 60_000,
    });
    expect(drill.status, drill.stderr).toBe(0);
    expect(drill.stderr).toContain("No display here: the drill's browser runs headless.");
    expect(drill.stdout).toMatch(/^DRILL: Rotated NPM_TOKEN/);
  } finally {
    for (const name of readdirSync(ROOT)) if (!before.has(name) && name.endsWith(".tgz")) rmSync(join(ROOT, name));
    rmSync(home, { recursive: true, force: true });
  }
});
