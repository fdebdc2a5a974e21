// Secrets go only where the responder knows: an address other than a site's official one, from
// .env, rotate.config.json or a flag (a pull request can change the first two), is named and
// needs an explicit yes, or --trust-urls; plain http:// only to this machine.
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { startCli, worldArgs } from "../support/cli.js";
import { startPty, plain } from "../support/pty.js";
import { errorLines, expect, snapshot, test } from "../support/world.js";

const withoutTrust = (args: string[]) => args.filter((arg) => arg !== "--trust-urls");

test("a .env pointing PyPI's website elsewhere: named, refused without a terminal, nothing sent anywhere", async ({ world, dirs }) => {
  const { args, env } = worldArgs(world, "pypi");
  const pypiUrl = args[args.indexOf("--pypi-url") + 1] ?? "";
  mkdirSync(dirs.cwd, { recursive: true });
  writeFileSync(join(dirs.cwd, ".env"), `ROTATE_PYPI_URL=${pypiUrl}\n`);
  const before = snapshot(world);
  const calls = world.circleci.calls.length;
  const result = await startCli(withoutTrust(args.filter((arg, i) => arg !== "--pypi-url" && args[i - 1] !== "--pypi-url")), { dirs, env })
    .done;
  expect(result.code, result.stderr).toBe(2);
  const [line, ...more] = errorLines(result);
  expect(more).toEqual([]);
  expect(line).toMatch(
    /^rotate: not the official address, and credentials would be sent there: .*; pass --trust-urls if that is intended$/,
  );
  // Every override is named, each with where it came from; the .env one among them.
  expect(line).toContain(`PyPI website URL: ${pypiUrl} (from ROTATE_PYPI_URL)`);
  expect(line).toContain("(from --circleci-url)");
  expect(world.circleci.calls.length).toBe(calls);
  expect(snapshot(world)).toEqual(before);
});

test("a config file sending the CircleCI token elsewhere: named with the file, refused without a terminal", async ({ world, dirs }) => {
  const { args, env } = worldArgs(world, "pypi");
  mkdirSync(dirs.cwd, { recursive: true });
  writeFileSync(join(dirs.cwd, "rotate.config.json"), JSON.stringify({ circleci: { url: world.circleci.apiUrl } }));
  const calls = world.circleci.calls.length;
  const flagless = withoutTrust(args).filter((arg, i, all) => arg !== "--circleci-url" && all[i - 1] !== "--circleci-url");
  const result = await startCli(flagless, { dirs, env }).done;
  expect(result.code, result.stderr).toBe(2);
  expect(errorLines(result)[0]).toContain(
    `CircleCI API v2 base URL: ${world.circleci.apiUrl} (from circleci.url in ${join(dirs.cwd, "rotate.config.json")})`,
  );
  expect(world.circleci.calls.length).toBe(calls);
});

test("plain http:// to another machine is refused whatever the trust", async ({ world, dirs }) => {
  const { args, env } = worldArgs(world, "npm");
  const result = await startCli([...args, "--npm-url", "http://npm.example.test"], { dirs, env }).done;
  expect(result.code, result.stderr).toBe(2);
  expect(errorLines(result)).toEqual([
    "rotate: --npm-url: plain http:// is allowed only for this machine (127.0.0.1, localhost); use https:// (npm website URL)",
  ]);
});

test("in a terminal the addresses are listed and a no stops the run: cancelled, exit 4, nothing changed", async ({ world, dirs }) => {
  const { args, env } = worldArgs(world, "pypi");
  const before = snapshot(world);
  const run = startPty(
    withoutTrust(args).filter((arg) => arg !== "--yes"),
    { dirs, env },
  );
  await run.expect(
    /These addresses are not the official ones[\s\S]*PyPI website URL: http:\/\/127\.0\.0\.1:\d+ \(from --pypi-url\)[\s\S]*Use them\?/,
  );
  run.answer("n");
  const { code } = await run.done;
  expect(code, plain(run.screen())).toBe(4);
  expect(plain(run.screen())).toContain("rotate: Cancelled, nothing changed");
  expect(snapshot(world)).toEqual(before);
});

/** The world's npm arguments without --npm-registry-url: the registry then comes from npm's own configuration. */
function npmArgsFromNpmrc(args: string[]): string[] {
  return args.filter((arg, i) => arg !== "--npm-registry-url" && args[i - 1] !== "--npm-registry-url");
}

test("npm's registry from ~/.npmrc over plain http to another machine: refused before anything, saying where it came from", async ({
  world,
  dirs,
}) => {
  const { args, env } = worldArgs(world, "npm");
  mkdirSync(dirs.home, { recursive: true });
  writeFileSync(join(dirs.home, ".npmrc"), "registry=http://registry.example.test/\n");
  const calls = world.circleci.calls.length;
  const result = await startCli(npmArgsFromNpmrc(args), { dirs, env }).done;
  expect(result.code, result.stderr).toBe(2);
  expect(errorLines(result)).toEqual([
    "rotate: npm config get registry gives http://registry.example.test/: plain http:// is allowed only for this machine (127.0.0.1, localhost); use https:// (npm registry URL)",
  ]);
  expect(world.circleci.calls.length).toBe(calls);
});

test("npm's registry from ~/.npmrc, not npm's own default: named with where it came from, confirmed like any address, in the plan and in --json", async ({
  world,
  dirs,
}) => {
  const { args, env } = worldArgs(world, "npm");
  const registry = args[args.indexOf("--npm-registry-url") + 1] ?? "";
  mkdirSync(dirs.home, { recursive: true });
  writeFileSync(join(dirs.home, ".npmrc"), `registry=${registry}\n`);
  const refused = await startCli(withoutTrust(npmArgsFromNpmrc(args)), { dirs, env }).done;
  expect(refused.code, refused.stderr).toBe(2);
  expect(errorLines(refused)[0]).toMatch(
    new RegExp(`npm registry URL: ${registry.replace(/\/?$/, "/?")} \\(from npm config get registry\\)`.replaceAll(".", "\\.")),
  );

  const trusted = await startCli([...npmArgsFromNpmrc(args), "--dry-run", "--json"], { dirs, env }).done;
  expect(trusted.code, trusted.stderr).toBe(0);
  expect(trusted.stderr).toContain(
    "These addresses are not the official ones; --trust-urls accepts them, and rotate sends credentials there:",
  );
  const report = JSON.parse(trusted.stdout) as {
    plan: string[];
    addresses: Array<{ describe: string; url: string; from: string; official: boolean }>;
  };
  const named = report.addresses.find((a) => a.describe === "npm registry URL");
  expect(named).toEqual({
    describe: "npm registry URL",
    url: expect.stringContaining(registry.replace(/\/$/, "")),
    from: "npm config get registry",
    official: false,
  });
  expect(report.plan).toContain(`  npm registry URL: ${named?.url} (from npm config get registry, not official)`);
  expect(report.plan).toContain(`  CircleCI API v2 base URL: ${world.circleci.apiUrl} (from --circleci-url, not official)`);
});
