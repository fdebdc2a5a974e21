// A drill: a rotation rehearsed on the replicas. It uses a `rotate sandbox` already running on
// this machine when there is one (its front desk answers on a known loopback port), else starts
// its own world. In a terminal it rehearses the real thing: the password and the one-time code are
// asked, as on a real run, and the drill says where to find them; without one, they are filled in.
// A drill of an organisation's fleet (the config names `rotations`) runs in a world built from
// that fleet: a running sandbox serves it only when it holds the same fleet.
import { z } from "zod";
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
      heldToken: z.string(),
    }),
  ),
});
type Directory = z.infer<typeof Directory>;

export interface Drill {
  /** The front desk: /drill, /code/<registry>, /outbox. */
  controlUrl: string;
  /** Whether it is a `rotate sandbox` that was already running. */
  shared: boolean;
  /** Flag values that point `rotate <id>` at the drill. */
  flags(id: string): Record<string, unknown>;
  /** What a run without a terminal gets: every credential; in a terminal only CircleCI's. */
  env(id: string, interactive: boolean): NodeJS.ProcessEnv;
  /** How a person in a terminal finds the drill account's password and codes. */
  instructions(id: string): string[];
  close(): Promise<void>;
}

async function runningSandbox(port: number): Promise<Directory | undefined> {
  try {
    const http = createHttp({ timeout: 1_000, maxRedirects: 0, validateStatus: () => true });
    const answer = await http.get(`http://127.0.0.1:${port}/drill`);
    const parsed = Directory.safeParse(answer.data);
    return answer.status === 200 && parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function drillOf(directory: Directory, controlUrl: string, shared: boolean, close: () => Promise<void>): Drill {
  const entry = (id: string) => {
    const found = directory.registries[id];
    if (!found) throw new Error(`the drill has no replica for ${id}`);
    return found;
  };
  return {
    controlUrl,
    shared,
    flags: (id) => entry(id).flags,
    env(id, interactive) {
      const prefix = `ROTATE_${id.toUpperCase()}_`;
      const account = entry(id);
      if (interactive) return { CIRCLECI_TOKEN: directory.circleciToken };
      // The old token's value is known in a drill, so the run can prove it dead afterwards.
      return {
        CIRCLECI_TOKEN: directory.circleciToken,
        [`${prefix}PASSWORD`]: account.password,
        [`${prefix}TOTP_SECRET`]: account.totpSecret,
        [`${prefix}OLD_TOKEN`]: account.heldToken,
      };
    },
    instructions(id) {
      const account = entry(id);
      // Made up at the drill's start and valid only on these replicas: safe to show.
      return [
        `DRILL on local replicas${shared ? " (the running rotate sandbox)" : ""}. The drill account is ${account.username}, password ${account.password}.`,
        `One-time codes: ${controlUrl}/code/${id} (or add the TOTP secret ${account.totpSecret} to an authenticator app).`,
        // A fleet's drill asks for no exposed value: its rotations' tokens are found by what CircleCI shows.
        `${directory.fleet ? "" : `If asked for the exposed token, CircleCI holds ${account.heldToken}. `}Reset emails land in ${controlUrl}/outbox.`,
      ];
    },
    close,
  };
}

/** A drill world of its own (the demo always takes one; `--sandbox` when no sandbox is running, or it holds another fleet). */
export async function startDrill(runtime: Runtime, fleet?: DrillFleet): Promise<Drill> {
  const { startSandboxWorld } = await runtime.replicas();
  const world = await startSandboxWorld({
    registries: runtime.registries.map((r) => r.id),
    now: runtime.clock,
    ...(fleet ? { fleet } : {}),
  });
  try {
    const http = createHttp({ timeout: 5_000 });
    const directory = Directory.parse((await http.get(`${world.controlUrl}/drill`)).data);
    return drillOf(directory, world.controlUrl, false, () => world.close());
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
 * The drill world of the config in use: its fleet when it names `rotations`, else the demo's. The
 * running `rotate sandbox` if it holds that world, else a world of its own.
 */
export async function openDrill(runtime: Runtime, flags: { config?: unknown } = {}): Promise<Drill> {
  const fleet = configuredFleet(runtime, flags);
  const port = sandboxPort(runtime.env);
  const running = await runningSandbox(port);
  const wanted = fleet ? (await runtime.replicas()).fleetId(fleet) : undefined;
  return running && running.fleet === wanted
    ? drillOf(running, `http://127.0.0.1:${port}`, true, () => Promise.resolve())
    : startDrill(runtime, fleet);
}
