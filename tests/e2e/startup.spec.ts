// `rotate --help` and `--version` start fast because they load no validation, HTTP, prompt or
// browser library: those load when a command runs. `npm run bench` measures the time; this proves
// what is loaded, by recording every module the process loads (ESM through a loader hook, CommonJS
// from require's cache at exit).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "../support/cli.js";
import { expect, test } from "../support/world.js";

const HEAVY = ["zod", "axios", "playwright", "playwright-core", "@inquirer/prompts", "dotenv", "rotate-replicas"];

const HOOK = `
import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(process.env.MODULES_LOG, url + "\\n");
  return next(url, context);
}`;
const RECORDER = `
import { register } from "node:module";
import { appendFileSync } from "node:fs";
import Module from "node:module";
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOK)}));
process.on("exit", () => appendFileSync(process.env.MODULES_LOG, Object.keys(Module._cache).join("\\n") + "\\n"));`;

/** The packages a run of rotate with these arguments loaded, by name. */
function packagesLoaded(args: string[]): { packages: Set<string>; stdout: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "rotate-startup-"));
  try {
    const log = join(dir, "modules.log");
    const run = spawnSync(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(RECORDER)}`, CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, MODULES_LOG: log, CI: "true" },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const packages = new Set(
      readFileSync(log, "utf8")
        .split("\n")
        .flatMap((line) => [...line.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].map((m) => m[1] ?? "")),
    );
    return { packages, stdout: run.stdout, status: run.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const args of [["--help"], ["--version"], ["npm", "--help"], ["trust", "--help"]]) {
  test(`rotate ${args.join(" ")} loads none of ${HEAVY.join(", ")}`, () => {
    const run = packagesLoaded(args);
    expect(run.status).toBe(0);
    expect(run.stdout).not.toBe("");
    expect([...run.packages].filter((name) => HEAVY.includes(name))).toEqual([]);
    expect(run.packages).toContain("commander");
  });
}

test("the recorder sees them when a command runs: rotate status without settings loads the validation library", () => {
  const run = packagesLoaded(["status"]);
  expect(run.status).not.toBe(0);
  expect(run.packages).toContain("zod");
});
