// The core promise: the new token goes from the registry's page to CircleCI without touching
// disk or output, and the browser shares nothing and goes nowhere else. (Every rotation in the
// suite is also scanned after it ends, by the `rotation` fixture.)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import express from "express";
import { type FaultRule, listen } from "rotate-replicas";
import { worldArgs } from "../support/cli.js";
import { npmOf, pypiOf } from "../support/replicas.js";
import { hasXvfb, startXvfb } from "../support/xvfb.js";
import { startPty } from "../support/pty.js";
import { secretsIn, secretsOnDisk, type Secrets } from "../support/secrets.js";
import { errorLines, expect, heldToken, snapshot, test } from "../support/world.js";

/** What /proc says of a process ("" if it is gone), NUL separators made spaces. */
function procText(pid: number, file: "cmdline" | "environ"): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`).toString().replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Every process below pid (the browser and its helpers, under the CLI). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const stat = procStat(Number(entry));
    if (stat) parents.set(Number(entry), stat);
  }
  const below = (of: number): number[] => [...parents].filter(([, parent]) => parent === of).flatMap(([child]) => [child, ...below(child)]);
  return below(pid);
}

function procStat(pid: number): number | undefined {
  try {
    // The parent pid is the fourth field, after the command name in parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** The run's throw-away browser directories (Playwright's profile lives inside). */
const profiles = (tmp: string) => (existsSync(tmp) ? readdirSync(tmp).filter((name) => name.startsWith("rotate-browser-")) : []);

const CHECKS = {
  pypi: {
    path: "/legacy/",
    tokenFrom: (auth: string) =>
      Buffer.from(auth.replace(/^Basic /i, ""), "base64")
        .toString()
        .replace(/^__token__:/, ""),
  },
  npm: { path: "/-/whoami", tokenFrom: (auth: string) => auth.replace(/^Bearer /i, "") },
} as const;

for (const id of ["pypi", "npm"] as const) {
  test(`${id}: while the browser is open and after exit, no secret is on disk anywhere the run could write`, async ({
    world,
    rotation,
    dirs,
  }) => {
    let release = () => undefined as void;
    let newToken = "";
    const held = new Promise<void>((resolve) => {
      world.drill(id).faults.add({
        path: CHECKS[id].path,
        // The first check is the new token's; hold it, with the browser still open, until the scan is done.
        when: (req: { headers: { authorization?: string } }) => {
          newToken = CHECKS[id].tokenFrom(req.headers.authorization ?? "");
          return true;
        },
        fault: { kind: "hold", release: new Promise<void>((r) => (release = r)), onHeld: resolve },
      });
    });
    // PyPI's token gets an expiry: the one checked is the restricted one, and the unrestricted one
    // PyPI showed (the last the replica issued) must be nowhere either.
    const run = rotation.start(id, id === "pypi" ? ["--expires-days", "30"] : []);
    await held;

    const { account } = world.drill(id);
    const secrets: Secrets = new Map([
      ["new token", newToken],
      ["password", account.password],
      ["TOTP secret", account.totpSecret],
      ["CircleCI token", world.circleciToken],
    ]);
    if (id === "pypi") {
      const shown = pypiOf(world).issuedSecrets().at(-1) ?? "";
      expect(shown).not.toBe(newToken);
      secrets.set("the unrestricted PyPI token", shown);
    }
    expect(newToken.length).toBeGreaterThan(30);
    // The browser's profile directory exists right now, under the run's TMPDIR, and is scanned with it.
    expect(profiles(dirs.tmp)).toHaveLength(1);
    expect(secretsOnDisk([dirs.home, dirs.tmp, dirs.cwd], secrets)).toEqual([]);
    // No secret in any process's argv, nor in the environment of the browser's processes (the
    // CLI's own environment is where the test handed the secrets in).
    const browserProcesses = descendants(run.child.pid ?? -1);
    expect(browserProcesses.length).toBeGreaterThan(0);
    expect(secretsIn(procText(run.child.pid ?? -1, "cmdline"), secrets)).toEqual([]);
    for (const pid of browserProcesses) {
      expect(secretsIn(procText(pid, "cmdline"), secrets), `argv of ${pid}`).toEqual([]);
      expect(secretsIn(procText(pid, "environ"), secrets), `environment of ${pid}`).toEqual([]);
    }

    release();
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(secretsOnDisk([dirs.home, dirs.tmp, dirs.cwd], secrets)).toEqual([]);
    expect(profiles(dirs.tmp)).toEqual([]);
  });
}

test.describe("navigation guard", () => {
  const FORM: Record<"pypi" | "npm", Pick<FaultRule, "method" | "path">> = {
    pypi: { method: "GET", path: "/manage/account/token/" },
    // npm's default path visits only the website's sign-in (the tokens go through the registry's API).
    npm: { method: "GET", path: "/login" },
  };
  for (const id of ["pypi", "npm"] as const) {
    test(`${id}: a redirect to another origin is refused and stops the flow before anything is typed there`, async ({
      world,
      rotation,
    }) => {
      const visits: string[] = [];
      const elsewhere = express();
      elsewhere.use((req, res) => {
        visits.push(`${req.method} ${req.path}`);
        res.send(`<form method="post"><label>Password <input type="password" id="password"></label><button>Log in</button></form>`);
      });
      const phishing = await listen(elsewhere);
      try {
        world
          .drill(id)
          .faults.add({ ...FORM[id], fault: { kind: "status", status: 302, headers: { Location: `${phishing.url}/account/login/` } } });
        const before = snapshot(world);
        const result = await rotation.run(id);
        expect(result.code, result.stderr).toBe(1);
        const site = id === "pypi" ? pypiOf(world) : npmOf(world);
        const path = typeof FORM[id].path === "string" ? FORM[id].path : "/settings/~/tokens/granular-access-tokens/new";
        expect(errorLines(result)).toEqual([
          `rotate: ${site.url} answered the GET of ${path} with a redirect to ${phishing.url}, which is not the registry's site; rotate refused to follow it, so nothing was sent to ${phishing.url} (phishing, or a hijacked redirect)`,
        ]);
        // The redirect is answered before the browser follows it: the look-alike is never even loaded.
        expect(visits).toEqual([]);
        expect(snapshot(world)).toEqual(before);
      } finally {
        await phishing.close();
      }
    });
  }
});

test.describe("site drift: the create button was renamed", () => {
  test("headless: fails with a message naming the missing step; nothing changed", async ({ world, rotation }) => {
    pypiOf(world).settings.createButtonLabel = "Generate API token";
    const before = snapshot(world);
    const result = await rotation.run("pypi", ["--step-timeout", "3"]);
    expect(result.code, result.stderr).toBe(1);
    expect(errorLines(result)).toEqual([
      `rotate: waited for the "Create token" button on ${pypiOf(world).url}/manage/account/token/, in vain: the page may have changed; run again without --headless to see it, and do this step by hand if rotate still cannot`,
    ]);
    expect(snapshot(world)).toEqual(before);
  });

  test("headed, in a terminal: the human does the step in the browser and the run completes", async ({ world, dirs }) => {
    // CI installs Xvfb (.ci/run) and must run this; a developer machine without it skips it.
    test.skip(!process.env.CI && !hasXvfb(), "needs Xvfb for a visible browser: apt-get install -y xvfb");
    const display = await startXvfb();
    try {
      pypiOf(world).settings.createButtonLabel = "Generate API token";
      // The stand-in human clicks the renamed button once rotate has asked for it (after its 3 s look).
      pypiOf(world).settings.simulatedHumanClickMs = 6_000;
      const { args, env } = worldArgs(world, "pypi");
      const oldToken = heldToken(world, "pypi");
      const run = startPty([...args.filter((arg) => arg !== "--headless"), "--routine", "--step-timeout", "3"], {
        dirs,
        env: { ...env, DISPLAY: display.name },
      });
      await run.expect(
        /the page no longer shows the "Create token" button[\s\S]*In the browser window, please click the button that creates the token/,
        { timeoutMs: 60_000 },
      );
      const { code } = await run.done;
      expect(code, run.screen()).toBe(0);
      expect(pypiOf(world).isLive(oldToken)).toBe(false);
      expect(pypiOf(world).isLive(heldToken(world, "pypi"))).toBe(true);
      expect(
        pypiOf(world)
          .tokens(world.drill("pypi").account.username)
          .filter((t) => !t.description.includes("@")),
      ).toHaveLength(1);
    } finally {
      display.stop();
    }
  });
});
