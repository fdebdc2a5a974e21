// A drill: a rotation rehearsed on the replicas. It uses a `rotate sandbox` already running on
// this machine when there is one (its front desk answers on a known loopback port), else starts
// its own world. In a terminal it rehearses the real thing: the password and the one-time code are
// asked, as on a real run, and the drill says where to find them; without one, they are filled in.
import { z } from "zod";
import { createHttp } from "../http/policy.js";
import type { Runtime } from "../runtime.js";

/** Where `rotate sandbox` keeps its front desk, so `--sandbox` runs can find it. */
export function sandboxPort(env: NodeJS.ProcessEnv): number {
  const port = Number(env.ROTATE_SANDBOX_PORT ?? 7357);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : 7357;
}

const Directory = z.object({
  circleciToken: z.string(),
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
    const http = createHttp({ timeoutMs: 1_000 });
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
        `If asked for the exposed token, CircleCI holds ${account.heldToken}. Reset emails land in ${controlUrl}/outbox.`,
      ];
    },
    close,
  };
}

/** A drill world of its own (the demo always takes one; `--sandbox` when no sandbox is running). */
export async function startDrill(runtime: Runtime): Promise<Drill> {
  const { startSandboxWorld } = await runtime.replicas();
  const world = await startSandboxWorld({ registries: runtime.registries.map((r) => r.id), now: runtime.clock });
  try {
    const http = createHttp({ timeoutMs: 5_000 });
    const directory = Directory.parse((await http.get(`${world.controlUrl}/drill`)).data);
    return drillOf(directory, world.controlUrl, false, () => world.close());
  } catch (error) {
    await world.close();
    throw error;
  }
}

/** The running `rotate sandbox` if there is one, else a world of its own. */
export async function openDrill(runtime: Runtime): Promise<Drill> {
  const port = sandboxPort(runtime.env);
  const running = await runningSandbox(port);
  return running ? drillOf(running, `http://127.0.0.1:${port}`, true, () => Promise.resolve()) : startDrill(runtime);
}
