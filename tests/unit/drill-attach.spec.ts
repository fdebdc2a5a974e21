// A drill attaches to a running `rotate sandbox` only after it proves it is the user's own (it
// knows the key in a file only the user can read), and never uses a real credential given to the
// run: a fake sandbox on the known port would otherwise be typed the real password (issue 21).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { startSandboxWorld } from "rotate-replicas";
import { configuredFleet, openDrill, writeSandboxKey, type Drill } from "../../src/drill/open.js";
import { registries } from "../../src/registries.js";
import type { Runtime } from "../../src/runtime.js";
import { freePort } from "../support/cli.js";
import { fakeIO } from "../support/fakes.js";

/** A front desk that answers GET /drill like a sandbox, without knowing any key. */
async function startImpostor() {
  const received: string[] = [];
  const directory = {
    circleciToken: "CCIPAT_impostor",
    registries: Object.fromEntries(
      registries.map((r) => [r.id, { flags: {}, username: "u", password: "p", totpSecret: "JBSWY3DPEHPK3PXP", heldToken: "t" }]),
    ),
  };
  const server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(directory));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let state: string;
test.beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), "rotate-drill-"));
});
test.afterEach(() => rmSync(state, { recursive: true, force: true }));

function runtimeFor(port: number, env: NodeJS.ProcessEnv = {}) {
  const io = fakeIO(false);
  const runtime = {
    env: { XDG_STATE_HOME: state, ROTATE_SANDBOX_PORT: String(port), ...env },
    cwd: state,
    io,
    registries,
    clock: () => new Date(),
    replicas: () => import("rotate-replicas"),
  } as unknown as Runtime;
  return { runtime, io };
}

async function opened(runtime: Runtime, given = {}): Promise<Drill> {
  const drill = await openDrill(runtime, given);
  await drill.close();
  return drill;
}

test("something on the sandbox's port, and no key of the user's: not used; the drill starts replicas of its own", async () => {
  const impostor = await startImpostor();
  try {
    const { runtime } = runtimeFor(impostor.port);
    expect((await opened(runtime)).shared).toBe(false);
    expect(impostor.received).toEqual([]);
  } finally {
    await impostor.close();
  }
});

test("a key file, but what answers cannot prove it knows the key: not used, and said", async () => {
  const impostor = await startImpostor();
  try {
    const { runtime, io } = runtimeFor(impostor.port);
    writeSandboxKey(runtime.env, impostor.port);
    expect((await opened(runtime)).shared).toBe(false);
    expect(io.text()).toContain(
      `DRILL: something answers on 127.0.0.1:${impostor.port}, but it could not prove it is your rotate sandbox; this drill starts replicas of its own.`,
    );
  } finally {
    await impostor.close();
  }
});

test("the user's running sandbox proves itself and is used; a key file others could read is not trusted", async () => {
  const port = await freePort();
  const { runtime } = runtimeFor(port);
  const key = writeSandboxKey(runtime.env, port);
  const world = await startSandboxWorld({ registries: registries.map((r) => r.id), controlPort: port, controlKey: key.key });
  try {
    const drill = await opened(runtime);
    expect(drill.shared).toBe(true);
    expect(drill.env("npm", true).CIRCLECI_TOKEN).toBe(world.circleciToken);

    chmodSync(join(state, "rotate", `sandbox-${port}.key`), 0o644);
    expect((await opened(runtime)).shared).toBe(false);
  } finally {
    await world.close();
  }
});

test("the user's sandbox holds the demo, the directory's config names its own project: not used, and said; one started here is", async () => {
  const port = await freePort();
  const { runtime, io } = runtimeFor(port);
  writeFileSync(
    join(state, "rotate.config.json"),
    JSON.stringify({ circleci: { projectSlug: "gh/acme/widget", context: "acme-publishing" }, npm: { packages: ["@acme/widget"] } }),
  );
  const key = writeSandboxKey(runtime.env, port);
  const demo = await startSandboxWorld({ registries: registries.map((r) => r.id), controlPort: port, controlKey: key.key });
  try {
    expect((await opened(runtime)).shared).toBe(false);
    expect(io.text()).toContain("the running rotate sandbox holds another world than this config's");
  } finally {
    await demo.close();
  }
  const fleet = configuredFleet(runtime, {});
  const own = await startSandboxWorld({
    registries: registries.map((r) => r.id),
    controlPort: port,
    controlKey: key.key,
    ...(fleet ? { fleet } : {}),
  });
  try {
    const drill = await opened(runtime);
    expect(drill.shared).toBe(true);
    // What the config names, seeded: the context holds the token the drill proves dead.
    expect(own.circleci.contextEnvVar("acme-publishing", "NPM_TOKEN")?.value).toBe(drill.env("npm", false).ROTATE_NPM_OLD_TOKEN);
    // As in the demo, a trust drill's proof has another pipeline definition and another project to refuse.
    expect(own.circleci.project("gh/acme/widget")?.pipelineDefinitions.map((d) => d.name)).toEqual(["build-and-publish", "nightly"]);
    expect(own.circleci.projectSlugs()).toContain("gh/acme/drill-bystander");
  } finally {
    await own.close();
  }
});

test("real credentials given to a drill are not used, and that is said once", async () => {
  const { runtime, io } = runtimeFor(1, {
    CIRCLECI_TOKEN: "CCIPAT_real",
    ROTATE_NPM_PASSWORD: "real password",
    ROTATE_NPM_TOTP_SECRET: "REALSECRET",
    ROTATE_PYPI_PASSWORD: "",
    ROTATE_NPM_USERNAME: "kept",
  });
  const drill = await opened(runtime, { otp: "123456", passwordStdin: true });
  expect(
    io
      .text()
      .split("\n")
      .filter((line) => line.startsWith("DRILL: ")),
  ).toEqual([
    "DRILL: CIRCLECI_TOKEN, ROTATE_NPM_PASSWORD, ROTATE_NPM_TOTP_SECRET, --otp, --password-stdin are not used: a drill signs in with the drill account only.",
  ]);
  for (const interactive of [true, false]) {
    const env = drill.env("npm", interactive);
    expect(env.CIRCLECI_TOKEN).not.toBe("CCIPAT_real");
    expect(env.ROTATE_NPM_PASSWORD).not.toBe("real password");
    expect(env.ROTATE_NPM_TOTP_SECRET).not.toBe("REALSECRET");
    expect(env.ROTATE_NPM_USERNAME).toBe("kept");
  }
  expect(drill.env("npm", true).ROTATE_NPM_PASSWORD).toBeUndefined();
});
