// CircleCI's writes at scale: one at a time, spaced, following what CircleCI's rate-limit headers
// say, with Retry-After honoured while the next write waits its turn. A clock that moves only when
// slept on makes every wait exact and costs no real time.
import { expect, test } from "@playwright/test";
import { startCircleciReplica } from "rotate-replicas";
import { CircleciClient } from "../../src/circleci/client.js";
import { holdMs, policyIntervalMs, WritePacer } from "../../src/circleci/pacer.js";
import { Secret } from "../../src/secrets/secret.js";

/** Time stands still until someone sleeps; every sleep is recorded. */
function fakeTime() {
  const time = { now: 0, sleeps: [] as number[] };
  return {
    time,
    now: () => time.now,
    sleep: async (ms: number) => {
      time.sleeps.push(ms);
      time.now += ms;
    },
  };
}

test("writes run one at a time, each starting the interval after the one before; a failed write does not stop the next", async () => {
  const { time, now, sleep } = fakeTime();
  const pacer = new WritePacer({ now, sleep }, { minIntervalMs: 250 });
  const starts: number[] = [];
  let inFlight = 0;
  let most = 0;
  const write = (fails: boolean) => async () => {
    starts.push(time.now);
    most = Math.max(most, ++inFlight);
    await Promise.resolve();
    time.now += 100; // each write takes 100 ms
    inFlight--;
    if (fails) throw new Error("refused");
    return time.now;
  };
  const results = await Promise.allSettled([pacer.pace(write(false)), pacer.pace(write(true)), pacer.pace(write(false))]);
  expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(starts).toEqual([0, 250, 500]);
  expect(most).toBe(1);
  expect(time.sleeps).toEqual([150, 150]);
  expect(pacer.pacedMs).toBe(300);
});

test("RateLimit-Policy sets the spacing (the strictest policy), capped; without it, none (writes only never overlap)", () => {
  expect(policyIntervalMs("100;w=60")).toBe(600);
  expect(policyIntervalMs('"default";q=10;w=60')).toBe(6000);
  expect(policyIntervalMs("10;w=1, 50;w=60")).toBe(1200);
  expect(policyIntervalMs("nonsense")).toBeUndefined();
  const { now, sleep } = fakeTime();
  const pacer = new WritePacer({ now, sleep });
  expect(pacer.intervalMs).toBe(0);
  pacer.observe({ "ratelimit-policy": "10;w=60" });
  expect(pacer.intervalMs).toBe(6000);
  pacer.observe({ "ratelimit-policy": "1;w=86400" });
  expect(pacer.intervalMs).toBe(10_000);
});

test("no writes left (RateLimit, RateLimit-*, X-RateLimit-*): the next write holds until the reset, said once; capped at two minutes", async () => {
  expect(holdMs({ ratelimit: "limit=100, remaining=0, reset=7" }, 0)).toBe(7000);
  expect(holdMs({ ratelimit: '"default";r=0;t=12' }, 0)).toBe(12_000);
  expect(holdMs({ ratelimit: "limit=100, remaining=3, reset=7" }, 0)).toBeUndefined();
  expect(holdMs({ "ratelimit-remaining": "0", "ratelimit-reset": "5" }, 0)).toBe(5000);
  // An epoch reset (some X-RateLimit-Reset), and the two families disagreeing: the longer hold wins.
  expect(
    holdMs(
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2000000030", "ratelimit-remaining": "0", "ratelimit-reset": "5" },
      2_000_000_000_000,
    ),
  ).toBe(30_000);

  const { time, now, sleep } = fakeTime();
  const held: number[] = [];
  const pacer = new WritePacer({ now, sleep, onHold: (ms) => held.push(ms) }, { minIntervalMs: 250 });
  await pacer.pace(async () => pacer.observe({ ratelimit: "limit=10, remaining=0, reset=7" }));
  await pacer.pace(async () => pacer.observe({ ratelimit: "limit=10, remaining=0, reset=3600" }));
  await pacer.pace(async () => undefined);
  expect(held).toEqual([7000, 120_000]);
  expect(time.sleeps).toEqual([7000, 120_000]);
});

test("through the client: two writes at once reach CircleCI one after another, a 429's Retry-After is waited out before the next, and every request is counted", async () => {
  const ORG = { name: "acme", slug: "gh/acme", id: "5a1d2c3e-8a7b-4c5d-9e0f-1a2b3c4d5e6f" };
  const TOKEN = "CCIPAT_abcdefghijklmnopqrstuv_0123456789abcdef0123456789abcdef01234567";
  const replica = await startCircleciReplica({
    tokens: [{ value: TOKEN, user: { id: "u-1", login: "alice", name: "Alice" } }],
    projects: [
      { slug: "gh/acme/widget", organization: ORG },
      { slug: "gh/acme/gadget", organization: ORG },
    ],
  });
  try {
    const { time, now, sleep } = fakeTime();
    const client = new CircleciClient({
      baseUrl: replica.apiUrl,
      token: new Secret(TOKEN, "CircleCI token"),
      retry: { sleep, now, random: () => 0.5 },
      // As a RateLimit-Policy of 4 a second would space them.
      writeIntervalMs: 250,
    });
    replica.faults.add({
      method: "POST",
      path: "/api/v2/project/gh/acme/widget/envvar",
      fault: {
        kind: "status",
        status: 429,
        headers: { "Retry-After": "7", "Content-Type": "application/json" },
        body: '{"message" : "Rate limit exceeded."}',
      },
    });
    const value = new Secret(`npm_${"n".repeat(32)}NEW1`, "npm token");
    await Promise.all([
      client.setProjectEnvVar("gh/acme/widget", "NPM_TOKEN", value),
      client.setProjectEnvVar("gh/acme/gadget", "NPM_TOKEN", value),
    ]);
    // Without the pacer the second write would arrive between the first one's 429 and its retry.
    expect(replica.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      "POST /api/v2/project/gh/acme/widget/envvar",
      "POST /api/v2/project/gh/acme/widget/envvar",
      "POST /api/v2/project/gh/acme/gadget/envvar",
    ]);
    expect(time.sleeps).toEqual([7000]);
    await client.setProjectEnvVar("gh/acme/gadget", "PYPI_TOKEN", value);
    // The third write started right after the second: it waited the spacing out.
    expect(time.sleeps).toEqual([7000, 250]);
    await client.me();
    expect(client.traffic).toEqual({ requests: 5, writes: 4, throttled: 1, pacedMs: 250 });
  } finally {
    await replica.close();
  }
});
