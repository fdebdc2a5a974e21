// The work of `rotate status` (its flags and help are in status.ts): read each variable CircleCI
// holds and the audit record of the last rotation, and say what is due; with --trust, sign in to
// npm and show each package's trusted publisher and the kind of token CircleCI holds.
import { Ask } from "../ask.js";
import { AuditLog, auditPath, type AuditLine } from "../audit.js";
import type { HeldValue } from "../circleci/client.js";
import { preflightCircleci } from "../circleci/targets.js";
import { loadSources, overriddenUrls, resolveSection } from "../settings/config.js";
import { browserSection, circleciSection } from "../settings/declarations.js";
import { circleciSettings, destinationsFor } from "../settings/run-settings.js";
import type { Registry } from "../registry.js";
import type { Runtime } from "../runtime.js";
import { circleciToken } from "./prepare.js";
import { confirmUrls } from "../settings/official-urls.js";
import { renderTrustStatus, trustStatus } from "../trust/status.js";
import { deadHeldToken, heldValueGiven, probeHeldValue } from "../rotation/held-token.js";
import type { StatusFlags } from "./status.js";

const WARN_DAYS = 14;
const DAY_MS = 86_400_000;

export interface VariableStatus {
  registry: string;
  envVar: string;
  where: string;
  set: boolean;
  last4: string | null;
  setAt: string | null;
  lastRotation: { at: string; by: string; tokenName: string; expires: string | null } | null;
  daysLeft: number | null;
  warning: string | null;
  /** What the registry says about this kind of token (npm's January 2027 change). */
  notes: string[];
}

export async function runStatus(flags: StatusFlags, runtime: Runtime): Promise<number> {
  const { registries } = runtime;
  const sections = [circleciSection, browserSection, ...registries.map((r) => r.section)];
  const sources = loadSources({ flags, env: runtime.env, cwd: runtime.cwd, sections });
  const circle = circleciSettings(sources);
  const ask = new Ask(runtime.io, runtime.prompter);
  // With --trust the password goes to the trusting registries' addresses too: those are confirmed as well.
  const signedInTo = flags.trust ? registries.filter((r) => r.trust).map((r) => r.section) : [];
  await confirmUrls(overriddenUrls([circleciSection, ...signedInTo], sources), {
    trustUrls: Boolean(flags.trustUrls),
    ask,
    note: (text) => runtime.io.err(`${text}\n`),
  });
  const client = runtime.circleci({ baseUrl: circle.url, token: await circleciToken(runtime.env, ask) });
  const audit = new AuditLog(auditPath(runtime.env));
  const now = runtime.clock().getTime();

  // "Each configured token": the registries the config file names, or all when it names none.
  const named = registries.filter((registry) => sources.file[registry.section.section] !== undefined);
  const statuses: VariableStatus[] = [];
  for (const registry of named.length > 0 ? named : registries) {
    const resolved = resolveSection(registry.section, sources);
    const envVar = (typeof resolved.envVar === "string" ? resolved.envVar : undefined) ?? registry.defaultEnvVar;
    const found = await preflightCircleci(client, destinationsFor(circle, envVar));
    for (const { target, held } of found.destinations) {
      const last = audit.lastRotation(envVar, target.where);
      const expires = last?.newToken?.expires ? new Date(last.newToken.expires) : undefined;
      const heldIsLast = held !== undefined && last !== undefined && holdsLastRotated(held, last);
      const daysLeft = expires && heldIsLast ? Math.floor((expires.getTime() - now) / DAY_MS) : null;
      // With the value CircleCI holds, the registry says whether it still works: dead before its expiry is revoked, not expired.
      const value = held ? heldValueGiven(registry, runtime.env, held.last4) : undefined;
      const dead = value !== undefined && (await probeHeldValue(registry, sources, value, runtime)) === "dead";
      statuses.push({
        registry: registry.title,
        envVar,
        where: target.where,
        set: Boolean(held),
        last4: held?.last4 ?? null,
        setAt: held?.setAt?.toISOString() ?? null,
        lastRotation: last?.newToken ? { at: last.at, by: last.by, tokenName: last.newToken.name, expires: last.newToken.expires } : null,
        daysLeft,
        warning: dead
          ? deadHeldToken(registry, heldIsLast ? expires : undefined, runtime.clock())
          : warningFor(registry.id, held, last, daysLeft),
        notes: held ? registry.statusNotes(resolved) : [],
      });
    }
  }

  const variablesOf = (registry: Registry) =>
    statuses.filter((s) => s.registry === registry.title).map(({ envVar, where, last4, set }) => ({ envVar, where, last4, set }));
  const trust = flags.trust ? await trustStatus(runtime, sources, client, circle.projectSlug, variablesOf) : undefined;
  if (flags.json)
    runtime.io.out(`${JSON.stringify({ project: circle.projectSlug ?? null, variables: statuses, ...(trust ? { trust } : {}) })}\n`);
  else runtime.io.out(`${[...statuses.map(renderStatus), ...(trust ? [renderTrustStatus(trust, registries)] : [])].join("\n")}\n`);
  return 0;
}

/**
 * Whether CircleCI still holds the token the audit record says rotate put there. Context
 * variables may show no last four characters; then a value set after that rotation is not it.
 */
function holdsLastRotated(held: HeldValue, last: AuditLine): boolean {
  if (held.last4 !== undefined) return held.last4 === last.newToken?.last4;
  return held.setAt === undefined || held.setAt.getTime() <= new Date(last.at).getTime();
}

function warningFor(registryId: string, held: HeldValue | undefined, last: AuditLine | undefined, daysLeft: number | null): string | null {
  if (!held || !last?.newToken) return null;
  if (!holdsLastRotated(held, last)) {
    return `CircleCI holds a value rotate did not record (the last rotation put …${last.newToken.last4} there), so its expiry is unknown: check who changed it`;
  }
  if (daysLeft === null) return null;
  if (daysLeft < 0) return `expired on ${last.newToken.expires?.slice(0, 10)}: run rotate ${registryId} now`;
  if (daysLeft < WARN_DAYS) return `expires in ${daysLeft} day(s): run rotate ${registryId} soon`;
  return null;
}

function renderStatus(status: VariableStatus): string {
  const held = status.set ? `holds …${status.last4 ?? "????"}${status.setAt ? `, set ${status.setAt.slice(0, 10)}` : ""}` : "not set";
  const lines = [`${status.registry.padEnd(5)} ${status.envVar} in ${status.where}: ${held}`];
  if (status.lastRotation) {
    const expiry = status.lastRotation.expires ? `, expires ${status.lastRotation.expires.slice(0, 10)}` : "";
    const left = status.daysLeft !== null ? ` (${status.daysLeft} day(s) left)` : "";
    lines.push(
      `      last rotated ${status.lastRotation.at.slice(0, 10)} by ${status.lastRotation.by}: "${status.lastRotation.tokenName}"${expiry}${left}`,
    );
  } else {
    lines.push("      no rotation by rotate recorded on this machine");
  }
  if (status.warning) lines.push(`      warning: ${status.warning}`);
  for (const note of status.notes) lines.push(`      note: ${note}`);
  return lines.join("\n");
}
