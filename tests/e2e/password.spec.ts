// `rotate password npm|pypi`: the generator on its own, then the real CLI in a pseudo-terminal
// against the replicas: the test plays the responder who copies the reset link from the email
// (the replica's outbox) into the prompt, and checks where the new password went and where not.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { APIRequestContext } from "@playwright/test";
import { generatePassword, PASSWORD_BITS } from "../../src/password/generate.js";
import { startSandboxWorld, type SandboxWorld } from "rotate-replicas";
import { startCli, type Sandbox } from "../support/cli.js";
import { plain, startPty, type PtyRun } from "../support/pty.js";
import { npmOf, pypiOf } from "../support/replicas.js";
import { expect, REGISTRY_IDS, test as base } from "../support/world.js";

/** The replicas' clock, which a test can move on to expire a link; the CLI keeps real time. */
class ReplicaClock {
  private offsetMs = 0;
  now = () => new Date(Date.now() + this.offsetMs);
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

const test = base.extend<{ clock: ReplicaClock }>({
  clock: async ({}, use) => use(new ReplicaClock()),
  world: async ({ clock }, use) => {
    const world = await startSandboxWorld({ registries: REGISTRY_IDS, now: clock.now });
    await use(world);
    await world.close();
  },
});

test.describe("the password generator", () => {
  const rules = { minLength: 0, maxLength: 4096, mustNotContain: [] };

  test("nine groups of five, no look-alikes, nothing a shell or a terminal would mangle, never the same twice", () => {
    const drawn = Array.from({ length: 500 }, () => generatePassword(rules, "test password").reveal());
    for (const password of drawn) {
      // 53 characters: at least the 32 every password must have.
      expect(password).toMatch(/^[a-zA-Z2-9]{5}(-[a-zA-Z2-9]{5}){8}$/);
      for (const kind of [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/]) expect(password).toMatch(kind);
      expect(password).not.toMatch(/[0O1lIo]/);
    }
    expect(new Set(drawn).size).toBe(drawn.length);
    // Every allowed character turns up: the alphabet really has its 56 symbols.
    expect(new Set(drawn.join("").replaceAll("-", "")).size).toBe(56);
  });

  test("strength: 45 random characters from 56 symbols, about 261 bits, no less than the 249 of the earlier 40 from 75", () => {
    expect(PASSWORD_BITS).toBeCloseTo(45 * Math.log2(56), 6);
    expect(PASSWORD_BITS).toBeGreaterThan(40 * Math.log2(75));
  });

  test("keeps a site's minimum above its own length, and refuses a maximum below its length", () => {
    expect(generatePassword({ ...rules, minLength: 64 }, "test password").reveal().length).toBeGreaterThanOrEqual(64);
    expect(() => generatePassword({ ...rules, maxLength: 31 }, "test password")).toThrow(/at most 31 characters/);
  });

  test("never contains an account detail, in any case", () => {
    // Five hundred three-letter "details": a plain random draw would contain one every ~20 draws.
    const details = Array.from(
      { length: 500 },
      (_, i) => `${String.fromCharCode(97 + (i % 26))}${i % 10}${String.fromCharCode(65 + ((i * 7) % 26))}`,
    );
    for (let i = 0; i < 200; i += 1) {
      const password = generatePassword({ ...rules, mustNotContain: details }, "test password")
        .reveal()
        .toLowerCase();
      expect(details.filter((detail) => password.includes(detail.toLowerCase()))).toEqual([]);
    }
  });

  test("returns a Secret that prints redacted", () => {
    const password = generatePassword(rules, "new PyPI password");
    expect(String(password)).toBe("‹redacted new PyPI password›");
    expect(JSON.stringify({ password })).not.toContain(password.reveal());
  });
});

interface Site {
  id: "pypi" | "npm";
  title: string;
  /** How long the replica's links live. */
  linkSeconds: number;
  replica(world: SandboxWorld): { url: string; resetLink(username: string): string | undefined };
  /** Whether the site's sign-in form accepts this password (the second factor comes after). */
  acceptsPassword(api: APIRequestContext, world: SandboxWorld, password: string): Promise<boolean>;
}

function hidden(markup: string, name: string): string {
  const value = new RegExp(`name="${name}"(?: type="hidden")? value="([^"]+)"`).exec(markup)?.[1];
  if (!value) throw new Error(`no ${name} on the page`);
  return value;
}

const SITES: Site[] = [
  {
    id: "pypi",
    title: "PyPI",
    linkSeconds: 6 * 3600,
    replica: (world) => pypiOf(world),
    async acceptsPassword(api, world, password) {
      const login = `${pypiOf(world).url}/account/login/`;
      const csrf_token = hidden(await (await api.get(login)).text(), "csrf_token");
      const answer = await api.post(login, {
        form: { csrf_token, username: world.drill("pypi").account.username, password },
        maxRedirects: 0,
      });
      return answer.status() === 303 && (answer.headers()["location"] ?? "").startsWith("/account/two-factor/");
    },
  },
  {
    id: "npm",
    title: "npm",
    linkSeconds: 3600,
    replica: (world) => npmOf(world),
    async acceptsPassword(api, world, password) {
      const login = `${npmOf(world).url}/login`;
      const csrftoken = hidden(await (await api.get(login)).text(), "csrftoken");
      const answer = await api.post(login, {
        form: { csrftoken, username: world.drill("npm").account.username, password },
        maxRedirects: 0,
      });
      return answer.status() === 302 && (answer.headers()["location"] ?? "").startsWith("/login/otp");
    },
  },
];

function passwordArgs(site: Site, world: SandboxWorld): string[] {
  const { url } = site.replica(world);
  return [
    "password",
    site.id,
    `--${site.id}-url`,
    url,
    `--${site.id}-user`,
    world.drill(site.id).account.username,
    "--headless",
    "--trust-urls",
    "--step-timeout",
    "10",
  ];
}

/** Runs `rotate password` in a terminal up to the link prompt, and returns the link the email carried. */
async function untilLinkPrompt(site: Site, world: SandboxWorld, dirs: Sandbox): Promise<{ pty: PtyRun; link: string }> {
  const pty = startPty(passwordArgs(site, world), { dirs });
  await pty.expect(/Paste the reset link/);
  const link = site.replica(world).resetLink(world.drill(site.id).account.username);
  if (!link) throw new Error(`${site.title} sent no reset link: ${plain(pty.screen())}`);
  return { pty, link };
}

function occurrences(text: string, value: string): number {
  return text.split(value).length - 1;
}

function errorLines(screen: string): string[] {
  return plain(screen)
    .split(/[\r\n]+/)
    .filter((line) => line.startsWith("rotate: "));
}

/** Every file under the run's HOME, TMPDIR and working directory that holds the value in any common encoding. */
function filesHolding(dirs: Sandbox, value: string): string[] {
  const forms = [value, encodeURIComponent(value), Buffer.from(value).toString("base64"), Buffer.from(value).toString("base64url")].map(
    (f) => Buffer.from(f),
  );
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) return walk(path);
      const bytes = readFileSync(path);
      return forms.some((form) => bytes.includes(form)) ? [path] : [];
    });
  return [dirs.home, dirs.tmp, dirs.cwd].flatMap(walk);
}

for (const site of SITES) {
  test.describe(`rotate password ${site.id}`, () => {
    test("happy path in a terminal: the link is pasted, the new password shows once, works, and is nowhere on disk", async ({
      world,
      dirs,
      playwright,
    }) => {
      const before = world.drill(site.id).account.password;
      const { pty, link } = await untilLinkPrompt(site, world, dirs);
      pty.answer(link);
      const { code } = await pty.done;
      const screen = plain(pty.screen());
      expect(code, screen).toBe(0);

      const password = /New password: (\S+)/.exec(screen)?.[1];
      if (!password) throw new Error(`no new password on the terminal:\n${screen}`);
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect(occurrences(pty.screen(), password)).toBe(1);
      // The prompt was masked: the link, a credential too, never showed.
      const token = new URL(link).searchParams.get("token") ?? new URL(link).pathname.split("/").pop() ?? link;
      expect(occurrences(pty.screen(), token)).toBe(0);
      expect(screen).toContain("Store it in your password manager now, and share it with nobody");
      expect(screen).toContain(
        `reset the password of the ${site.title} account ${world.drill(site.id).account.username} with rotate password ${site.id}`,
      );
      expect(screen).toContain("The reset was legitimate");

      expect(filesHolding(dirs, password)).toEqual([]);
      const audit = readFileSync(join(dirs.home, ".local", "state", "rotate", "audit.jsonl"), "utf8");
      const steps = audit
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { registry: string; step: string; outcome: string });
      expect(steps.map((s) => [s.registry, s.step, s.outcome])).toEqual([
        [site.title, "reset-requested", "ok"],
        [site.title, "link-opened", "ok"],
        [site.title, "password-set", "ok"],
      ]);

      const api = await playwright.request.newContext();
      try {
        expect(await site.acceptsPassword(api, world, password)).toBe(true);
        expect(await site.acceptsPassword(api, world, before)).toBe(false);
      } finally {
        await api.dispose();
      }
    });

    const refusals: Array<{ name: string; paste(link: string, world: SandboxWorld, clock: ReplicaClock): string; says: RegExp }> = [
      {
        name: "an expired link",
        paste: (link, _world, clock) => {
          clock.advance(site.linkSeconds + 1);
          return link;
        },
        says: new RegExp(
          `^rotate: ${site.title} refused the reset link \\("[^"]*[Ee]xpired[^"]*"\\): rerun rotate password ${site.id} for a new link \\(the password is unchanged\\)$`,
        ),
      },
      {
        name: "a link to another origin",
        paste: (link) => `https://phish.example${new URL(link).pathname}${new URL(link).search}`,
        says: new RegExp(
          `^rotate: the pasted link goes to https://phish\\.example, not to ${site.title} at http://127\\.0\\.0\\.1:\\d+, so rotate did not open it: .*\\(the password is unchanged\\)$`,
        ),
      },
      {
        name: "a link to another page of the site",
        paste: (link) => `${new URL(link).origin}/login`,
        says: new RegExp(`^rotate: the pasted link \\(/login\\) is not a ${site.title} password reset link: `),
      },
    ];

    for (const refusal of refusals) {
      test(`${refusal.name} is refused with one clear line, exit 1, and the old password still works`, async ({
        world,
        dirs,
        clock,
        playwright,
      }) => {
        const { pty, link } = await untilLinkPrompt(site, world, dirs);
        // Asked again after each refusal, three tries in all; then one line and nothing changed.
        const refused = refusal.paste(link, world, clock);
        for (let tries = 1; tries < 3; tries++) {
          pty.answer(refused);
          await pty.expect(new RegExp(`paste the link again \\(try ${tries + 1} of 3\\)[\\s\\S]*Paste the reset link`));
        }
        pty.answer(refused);
        const { code } = await pty.done;
        const screen = plain(pty.screen());
        expect(code, screen).toBe(1);
        expect(errorLines(pty.screen()), screen).toHaveLength(1);
        expect(errorLines(pty.screen())[0]).toMatch(refusal.says);
        expect(screen).not.toContain("New password");

        const api = await playwright.request.newContext();
        try {
          expect(await site.acceptsPassword(api, world, world.drill(site.id).account.password)).toBe(true);
        } finally {
          await api.dispose();
        }
      });
    }
  });
}

test("when the site's answer to the new password is lost, the password is still shown once and the run needs a human (exit 3)", async ({
  world,
  dirs,
  playwright,
}) => {
  const site = SITES[0] as Site;
  pypiOf(world).faults.add({ method: "POST", path: "/account/reset-password/", fault: { kind: "status", status: 502 } });
  const { pty, link } = await untilLinkPrompt(site, world, dirs);
  pty.answer(link);
  const { code } = await pty.done;
  const screen = plain(pty.screen());
  expect(code, screen).toBe(3);
  const password = /New password \(perhaps set\): (\S+)/.exec(screen)?.[1] ?? "";
  expect(password.length).toBeGreaterThanOrEqual(32);
  expect(occurrences(pty.screen(), password)).toBe(1);
  expect(errorLines(pty.screen())).toEqual([
    "rotate: could not confirm that PyPI took the new password (the site failed while setting the new password (502): try again later): sign in with the password shown above; if PyPI refuses it, the old password still works and rotate password pypi can run again",
  ]);
  expect(filesHolding(dirs, password)).toEqual([]);
  // The 502 stood in for a lost answer: here the site never took it, so the old one still works.
  const api = await playwright.request.newContext();
  try {
    expect(await site.acceptsPassword(api, world, world.drill("pypi").account.password)).toBe(true);
  } finally {
    await api.dispose();
  }
});

test("without a terminal nothing starts: a usage error (exit 2) and no reset email", async ({ world, dirs }) => {
  const site = SITES[0] as Site;
  const result = await startCli(passwordArgs(site, world), { dirs }).done;
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.trim()).toBe(
    "rotate: a password reset needs a terminal: rotate asks for the reset link from the email and shows the new password there once; run rotate password pypi in a terminal",
  );
  expect(pypiOf(world).resetLink(world.drill("pypi").account.username)).toBeUndefined();
});
