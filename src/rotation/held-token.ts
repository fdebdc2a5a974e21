// A token CircleCI holds that stops working before its expiry was revoked or invalidated by the
// registry, not expired: npm invalidated every bypass-2FA write token on 2026-05-19 (the "Mini
// Shai-Hulud" worm), and people read it as tokens "expiring early" (docs/sites/npm.md, "Policy
// timeline"). Every check that finds the held token dead says which it was, and names the fix.
import { Ask } from "../ask.js";
import type { Registry } from "../registry.js";
import type { Runtime } from "../runtime.js";
import { Secret } from "../secrets/secret.js";
import { credentialsFrom } from "../settings/credentials.js";
import type { Sources } from "../settings/config.js";
import type { TokenState } from "./capability.js";
import { Progress } from "./progress.js";
import { createSteps } from "./steps.js";

const day = (date: Date) => date.toISOString().slice(0, 10);

/** Why the held token no longer works, by its expiry when known. */
export function whyHeldTokenDied(registry: Pick<Registry, "title">, expires: Date | undefined, now: Date): string {
  if (expires && expires.getTime() <= now.getTime()) return `it expired on ${day(expires)}`;
  if (expires) return `revoked or invalidated by ${registry.title} (not expired): it would have expired on ${day(expires)}`;
  return `${registry.title} rejects it (revoked, invalidated or expired)`;
}

/** What `rotate status` says of a held token the registry rejects: why, and the command that fixes it. */
export function deadHeldToken(registry: Pick<Registry, "id" | "title">, expires: Date | undefined, now: Date): string {
  return `no longer works: ${whyHeldTokenDied(registry, expires, now)}; run rotate ${registry.id} now`;
}

/**
 * The value CircleCI holds, when the responder gave it (ROTATE_<ID>_OLD_TOKEN, e.g. from a
 * scheduled CircleCI job) and it ends as CircleCI shows: CircleCI never shows a value itself.
 */
export function heldValueGiven(
  registry: Pick<Registry, "id" | "title">,
  env: NodeJS.ProcessEnv,
  last4: string | undefined,
): Secret | undefined {
  const given = env[`ROTATE_${registry.id.toUpperCase()}_OLD_TOKEN`];
  if (!given || (last4 !== undefined && !given.endsWith(last4))) return undefined;
  return new Secret(given, `${registry.title} token CircleCI holds`, { showLast4: true });
}

/** Asks the registry whether a value works, with the registry's own check; undefined when its settings are incomplete. */
export async function probeHeldValue(
  registry: Registry,
  sources: Sources,
  value: Secret,
  runtime: Runtime,
): Promise<TokenState | undefined> {
  const configured = await registry.configure(sources).catch(() => undefined);
  if (!configured) return undefined;
  const ask = new Ask(runtime.io, runtime.prompter);
  const { username } = configured.settings;
  return configured.flow.check(value, {
    steps: createSteps(new Progress(runtime.io), { headed: false, stepTimeoutMs: 30_000 }),
    signal: runtime.signal,
    credentials: credentialsFrom({ id: registry.id, title: registry.title, ...(username ? { username } : {}), env: sources.env, ask }),
  });
}
