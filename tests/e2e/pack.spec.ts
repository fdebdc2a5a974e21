// The README's line that puts `rotate` on PATH, run as written into a throw-away prefix: the
// packed tool installs, runs, and holds only what runs (no replicas, tests or bench; a drill says
// where the replicas are instead).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
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

test("the README's PATH line installs the packed tool alone, and it runs", async () => {
  const line = readmeLine();
  expect(line).toBe('npm install --global "$(npm pack --silent)"');
  const prefix = mkdtempSync(join(tmpdir(), "rotate-prefix-"));
  const before = new Set(readdirSync(ROOT));
  try {
    // As written, into a throw-away prefix; npm's cache (filled by npm ci) supplies the dependencies.
    // The suite's build is already there: the prepack build is skipped so it does not rewrite it under running specs.
    execFileSync("bash", ["-c", line], {
      cwd: ROOT,
      env: {
        ...process.env,
        npm_config_prefix: prefix,
        npm_config_prefer_offline: "true",
        npm_config_ignore_scripts: "true",
        npm_config_audit: "false",
        npm_config_fund: "false",
      },
      stdio: "pipe",
    });
    const rotate = join(prefix, "bin", "rotate");
    expect(existsSync(rotate)).toBe(true);
    const installed = join(prefix, "lib", "node_modules", "rotate");
    expect(readdirSync(installed).sort()).toEqual(["README.md", "dist", "node_modules", "package.json"]);
    expect(readdirSync(join(installed, "dist")).sort()).toEqual(["flows", "src"]);

    const version = spawnSync(rotate, ["--version"], { encoding: "utf8" });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
    const demo = spawnSync(rotate, ["demo"], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: prefix } });
    expect(demo.status).toBe(2);
    expect(demo.stderr.trim()).toBe(
      "rotate: the drill replicas are not installed (they ship with the source, not the package): clone rotate and run npm ci, then npm start or rotate sandbox from the clone",
    );
  } finally {
    for (const name of readdirSync(ROOT)) if (!before.has(name) && name.endsWith(".tgz")) rmSync(join(ROOT, name));
    rmSync(prefix, { recursive: true, force: true });
  }
});
