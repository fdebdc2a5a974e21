// A drill: a rotation rehearsed on the replicas. It uses a `rotate sandbox` already running on
// this machine when there is one and it proves to be the user's own (below), else starts its own
// world. In a terminal it rehearses the real thing: the password and the one-time code are asked,
// as on a real run, and the drill says where to find them; without one, they are filled in.
//
// A drill of an organisation's fleet (the config names `rotations`) runs in a world built from
// that fleet: a running sandbox serves it only when it holds the same fleet.
//
// A drill never uses a real account's credentials: CIRCLECI_TOKEN, ROTATE_<ID>_PASSWORD and
// _TOTP_SECRET from the environment, --otp and --password-stdin are ignored, and said so once
// (ROTATE_<ID>_OLD_TOKEN is how a rehearsal names the drill token it "exposed"; it signs nobody in). And
// since something else could listen on the sandbox's known port and pose as one (a password typed
// into it would be that thing's), `rotate sandbox` keeps a per-sandbox key in a file only its user
// can read, and a drill attaches only to a front desk that proves it knows that key: each side
// sends HMAC-SHA256(key, "<role> <nonce>") of a fresh nonce (replicas/shared/control.ts).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { auditPath } from "../audit.js";
import { createHttp } from "../http/policy.js";
import type { Runtime } from "../runtime.js";
import { loadSources } from "../settings/config.js";
import { browserSection, circleciSection } from "../settings/declarations.js";
import { fleetSeed, type SeedRotation } from "../settings/rotations.js";

/** An organisation's fleet, per registry id, as the drill world is built from it. */
export type DrillFleet = Record<string, SeedRotation[]>;

/** Where `rotate sandbox` keeps its front desk, so `--sandbox` runs can find it. */
export function sandboxPort(env: NodeJS.ProcessEnv): number {
  const port = Number(env.ROTATE_SANDBOX_PORT ?? 7357);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : 7357;
}

/** The file holding the key of the sandbox on `port`: next to the audit record, in the user's own state directory. */
export function sandboxKeyPath(env: NodeJS.ProcessEnv, port: number): string {
  return join(dirname(auditPath(env)), `sandbox-${port}.key`);
}

/** A fresh key for a sandbox starting on `port`, in a file only this user can read; remove() when it stops. */
export function writeSandboxKey(env: NodeJS.ProcessEnv, port: number): { key: string; remove(): void } {
  const path = sandboxKeyPath(env, port);
  const key = randomBytes(32).toString("hex");
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true }); // a killed sandbox's: its mode is not to be trusted
  writeFileSync(path, key, { mode: 0o600, flag: "wx" });
  return { key, remove: () => rmSync(path, { force: true }) };
}

/** The key, if the file is there, this user's, and readable by nobody else. */
function readSandboxKey(env: NodeJS.ProcessEnv, port: number): string | undefined {
  const path = sandboxKeyPath(env, port);
  try {
    const stat = lstatSync(path);
    const mine = process.getuid === undefined || stat.uid === process.getuid();
    if (!stat.isFile() || !mine || (stat.mode & 0o077) !== 0) return undefined;
    return readFileSync(path, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

const CHALLENGE = "x-rotate-sandbox-challenge";
const PROOF = "x-rotate-sandbox-proof";
const proof = (key: string, role: "client" | "sandbox", nonce: string) =>
  createHmac("sha256", key).update(`${role} ${nonce}`).digest("hex");

const Directory = z.object({
  circleciToken: z.string(),
  fleet: z.string().optional(),
  registries: z.record(
    z.string(),
    z.object({
      flags: z.record(z.string(), z.unknown()),
      username: z.string(),
      password: z.string(),
      totpSecret: z.string(),
      heldToken: z.string().optional(),
    }),
  ),
});
export type Directory = z.infer<typeof Directory>;

/** What a running sandbox answered: its directory, or why it is not used. */
type Found = { directory: Directory } | { notOurs: string } | undefined;

/**
 * The directory of the `rotate sandbox` on `port`, when one answers there and proves it knows
 * this user's key; undefined when nothing answers or no sandbox of this user's runs there.
 */
export async function askRunningSandbox(env: NodeJS.ProcessEnv, port: number): Promise<Found> {
  const key = readSandboxKey(env, port);
  if (!key) return undefined;
  const nonce = randomBytes(32).toString("hex");
  try {
    const answer = await createHttp({ timeoutMs: 1_000 }).get(`http://127.0.0.1:${port}/drill`, {
      // A probe: no connection is kept open for a later ask to reuse once that sandbox has gone.
      headers: { [CHALLENGE]: nonce, [PROOF]: proof(key, "client", nonce), Connection: "close" },
    });
    const given = Buffer.from(String(answer.headers[PROOF] ?? ""));
    const expected = Buffer.from(proof(key, "sandbox", nonce));
    const proven = given.length === expected.length && timingSafeEqual(given, expected);
    const parsed = Directory.safeParse(answer.data);
    if (answer.status === 200 && proven && parsed.success) return { directory: parsed.data };
    return { notOurs: `something answers on 127.0.0.1:${port}, but it could not prove it is your rotate sandbox` };
  } catch {
    return undefined;
  }
}

/** Real credentials a run may be given: a drill uses the drill account's alone. */
const REAL_CREDENTIAL = /^(?:CIRCLECI_TOKEN|ROTATE_[A-Z0-9_]+_(?:PASSWORD|TOTP_SECRET))$/;

/** The flags that would carry a real credential into a run. */
export interface CredentialFlags {
  otp?: string;
  passwordStdin?: boolean;
}

export interface Drill {
  /** The front desk: /drill, /code/<registry>, /outbox. */
  controlUrl: string;
  /** Whether it is a `rotate sandbox` that was already running. */
  shared: boolean;
  /** Flag values that point `rotate <id>` at the drill. */
  flags(id: string): Record<string, unknown>;
  /**
   * The run's environment without any real credential, with the drill's: every credential
   * without a terminal; in a terminal only CircleCI's (the rest is asked, as on a real run).
   */
  env(id: string, interactive: boolean): NodeJS.ProcessEnv;
  /** How a person in a terminal finds the drill account's password and codes. */
  instructions(id: string): string[];
  close(): Promise<void>;
}

function drillOf(directory: Directory, controlUrl: string, shared: boolean, runEnv: NodeJS.ProcessEnv, close: () => Promise<void>): Drill {
  const entry = (id: string) => {
    const found = directory.registries[id];
    if (!found) throw new Error(`the drill has no replica for ${id}`);
    return found;
  };
  const withoutReal = Object.fromEntries(Object.entries(runEnv).filter(([name]) => !REAL_CREDENTIAL.test(name)));
  return {
    controlUrl,
    shared,
    flags: (id) => entry(id).flags,
    env(id, interactive) {
      const prefix = `ROTATE_${id.toUpperCase()}_`;
      const account = entry(id);
      if (interactive) return { ...withoutReal, CIRCLECI_TOKEN: directory.circleciToken };
      // The old token's value is known in a drill, so the run can prove it dead afterwards.
      return {
        ...withoutReal,
        CIRCLECI_TOKEN: directory.circleciToken,
        [`${prefix}PASSWORD`]: account.password,
        [`${prefix}TOTP_SECRET`]: account.totpSecret,
        ...(account.heldToken ? { [`${prefix}OLD_TOKEN`]: account.heldToken } : {}),
      };
    },
    instructions(id) {
      const account = entry(id);
      // Made up at the drill's start and valid only on these replicas: safe to show.
      return [
        `DRILL on local replicas${shared ? " (the running rotate sandbox)" : ""}. The drill account is ${account.username}, password ${account.password}.`,
        `One-time codes: ${controlUrl}/code/${id} (or add the TOTP secret ${account.totpSecret} to an authenticator app).`,
        // A fleet's drill asks for no exposed value: its rotations' tokens are found by what CircleCI shows.
        `${account.heldToken ? `If asked for the exposed token, CircleCI holds ${account.heldToken}. ` : ""}Reset emails land in ${controlUrl}/outbox.`,
      ];
    },
    close,
  };
}

/** A drill world of its own (the demo always takes one; `--sandbox` when no sandbox of the user's runs, or it holds another fleet). */
export async function startDrill(runtime: Runtime, fleet?: DrillFleet): Promise<Drill> {
  const { startSandboxWorld } = await runtime.replicas();
  const world = await startSandboxWorld({
    registries: runtime.registries.map((r) => r.id),
    now: runtime.clock,
    ...(fleet ? { fleet } : {}),
  });
  try {
    const directory = Directory.parse((await createHttp({ timeoutMs: 5_000 }).get(`${world.controlUrl}/drill`)).data);
    return drillOf(directory, world.controlUrl, false, runtime.env, () => world.close());
  } catch (error) {
    await world.close();
    throw error;
  }
}

/** The fleet the config in use names (`--config`, else ./rotate.config.json), if it names `rotations`. */
export function configuredFleet(runtime: Runtime, flags: { config?: unknown }): DrillFleet | undefined {
  const sources = loadSources({
    flags: { config: flags.config },
    env: runtime.env,
    cwd: runtime.cwd,
    fileSections: [circleciSection, browserSection, ...runtime.registries.map((r) => r.section)],
  });
  return fleetSeed(runtime.registries, sources);
}

/**
 * The drill world of the config in use (its fleet when it names `rotations`, else the demo's):
 * the running `rotate sandbox` if it is the user's and holds that world, else a world of its own.
 * Real credentials given to the run are not used, and that is said once.
 */
export async function openDrill(runtime: Runtime, given: CredentialFlags & { config?: unknown } = {}): Promise<Drill> {
  const ignored = [
    ...Object.keys(runtime.env).filter((name) => REAL_CREDENTIAL.test(name) && runtime.env[name]),
    ...(given.otp ? ["--otp"] : []),
    ...(given.passwordStdin ? ["--password-stdin"] : []),
  ];
  if (ignored.length > 0)
    runtime.io.err(
      `DRILL: ${ignored.join(", ")} ${ignored.length === 1 ? "is" : "are"} not used: a drill signs in with the drill account only.\n`,
    );
  const fleet = configuredFleet(runtime, given);
  const port = sandboxPort(runtime.env);
  const found = await askRunningSandbox(runtime.env, port);
  const wanted = fleet ? (await runtime.replicas()).fleetId(fleet) : undefined;
  if (found && "directory" in found && found.directory.fleet === wanted)
    return drillOf(found.directory, `http://127.0.0.1:${port}`, true, runtime.env, () => Promise.resolve());
  if (found && "notOurs" in found) runtime.io.err(`DRILL: ${found.notOurs}; this drill starts replicas of its own.\n`);
  if (found && "directory" in found)
    runtime.io.err(
      `DRILL: the running rotate sandbox holds another world than ${fleet ? "this config's" : "the demo's"}; this drill starts replicas of its own (start rotate sandbox in this directory to share one).\n`,
    );
  return startDrill(runtime, fleet);
}
