// The two orders: routine (new token first, CircleCI never without a working token) and
// incident (the exposed token dies first), including one run driven through a terminal that
// answers the real prompts like a responder.
import * as OTPAuth from "otpauth";
import { DEMO, type Fault } from "rotate-replicas";
import { registries } from "../../src/registries.js";
import { worldArgs } from "../support/cli.js";
import { plain, startPty } from "../support/pty.js";
import { secretsIn, worldSecrets } from "../support/secrets.js";
import { expect, heldToken, test } from "../support/world.js";

const stepOrder = (stderr: string, ...labels: string[]) => labels.map((label) => stderr.indexOf(label));

for (const registry of registries) {
  test(`${registry.title} incident order: the old token dies before the new one is made`, async ({ world, rotation }) => {
    const oldToken = heldToken(world, registry.id);
    const result = await rotation.run(registry.id, ["--leaked"]);
    expect(result.code, result.stderr).toBe(0);
    const [deleted, proven, created, pushed] = stepOrder(
      result.stderr,
      "✔ Delete old token",
      "✔ Check the old token is gone",
      "✔ Create",
      "✔ Put it in",
    );
    expect(deleted).toBeGreaterThan(0);
    expect(proven).toBeGreaterThan(deleted ?? 0);
    expect(created).toBeGreaterThan(proven ?? 0);
    expect(pushed).toBeGreaterThan(created ?? 0);
    const drill = world.drill(registry.id);
    expect(drill.isLive(oldToken)).toBe(false);
    expect(drill.isLive(heldToken(world, registry.id))).toBe(true);
    expect(result.stdout).toContain("incident order");
  });
}

test("routine order with --grace waits between the push and the delete, then the old token dies", async ({ world, rotation }) => {
  const oldToken = heldToken(world, "pypi");
  const result = await rotation.run("pypi", ["--grace", "1"]);
  expect(result.code, result.stderr).toBe(0);
  const [verified, waited, deleted] = stepOrder(
    result.stderr,
    "✔ Confirm CircleCI holds it",
    "✔ Wait 1s so publishes already running can finish",
    "✔ Delete old token",
  );
  expect(verified).toBeGreaterThan(0);
  expect(waited).toBeGreaterThan(verified ?? 0);
  expect(deleted).toBeGreaterThan(waited ?? 0);
  expect(world.drill("pypi").isLive(oldToken)).toBe(false);
});

test("--grace with --leaked is a usage error", async ({ rotation }) => {
  const result = await rotation.run("pypi", ["--leaked", "--grace", "30"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("rotate: --grace applies to the routine order only");
});

test("through a terminal: the responder answers every prompt, says the token leaked, and retries a failed push", async ({
  world,
  dirs,
}) => {
  // Retry-After: 0, so the client's retries are immediate (its backoff is timed in circleci-client.spec).
  const failing: Fault = {
    kind: "status",
    status: 500,
    headers: { "Content-Type": "application/json", "Retry-After": "0" },
    body: '{"message" : "Internal server error."}',
  };
  // One full round of the client's own retries fails; the responder's retry then succeeds.
  world.circleci.faults.add({ method: "POST", path: `/api/v2/project/${DEMO.projectSlug}/envvar`, times: 5, fault: failing });
  const { args } = worldArgs(world, "pypi");
  const interactiveArgs = args.filter((arg) => arg !== "--yes");
  const oldToken = heldToken(world, "pypi");
  const { account } = world.drill("pypi");
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(account.totpSecret) });

  const run = startPty(interactiveArgs, { dirs });
  await run.expect(/CircleCI personal API token \(make one at https:\/\/app\.circleci\.com\/settings\/user\/tokens\):/);
  run.answer(world.circleciToken);
  await run.expect(/PyPI password/);
  run.answer(account.password);
  await run.expect(/PyPI one-time code/);
  run.answer(totp.generate());
  await run.expect(/Was the old token exposed/);
  run.answer("y");
  await run.expect(/Paste the exposed PyPI token/);
  run.answer("");
  await run.expect(/Go ahead\?/);
  run.answer("y");
  await run.expect(/did not get the new token \(and the old token is already dead\)\.\s+Retry it\?/, { timeoutMs: 60_000 });
  run.answer("y");
  const { code } = await run.done;

  expect(code, run.screen()).toBe(0);
  expect(world.drill("pypi").isLive(oldToken)).toBe(false);
  expect(world.drill("pypi").isLive(heldToken(world, "pypi"))).toBe(true);
  // Masked prompts: what was typed never shows on the terminal; nor does the new token, or any other.
  expect(secretsIn(run.screen(), worldSecrets(world))).toEqual([]);
  expect(plain(run.screen())).toContain("not proven dead (its value was not given");
});
