// The work of `rotate status` (its flags and help are in status.ts): read each variable CircleCI
// holds and what rotate recorded about it (the project's rotation history, this machine's audit
// record), and say what is due; with --expiring-within, one line per token and an exit code a
// scheduled job can fail on; with --trust, sign in to npm and show each package's trusted
// publisher and the kind of token CircleCI holds.
import { Ask } from "../ask.js";
import { AuditLog, auditPath } from "../audit.js";
import type { HeldValue } from "../circleci/client.js";
import { preflightCircleci, type TargetSpec } from "../circleci/targets.js";
import { ExitCode, UsageError } from "../errors.js";
import { History } from "../rotation/history.js";
import { recordOfHeld, rotationsOf, type RotationRecord } from "../rotation/records.js";
import { loadSources, overriddenUrls, resolveSection } from "../settings/config.js";
import { browserSection, circleciSection } from "../settings/declarations.js";
import { circleciSettings, destinationsFor } from "../settings/run-settings.js";
import { givenRotations } from "../settings/rotations.js";
import type { Registry } from "../registry.js";
import type { Runtime } from "../runtime.js";
import { circleciToken, drillFlags } from "./prepare.js";
import { openDrill, type Drill } from "../drill/open.js";
import { confirmUrls } from "../settings/official-urls.js";
import { renderTrustStatus, trustStatus } from "../trust/status.js";
import { deadHeldToken, heldValueGiven, probeHeldValue } from "../rotation/held-token.js";
import type { StatusFlags } from "./status.js";

const WARN_DAYS = 14;
const DAY_MS = 86_400_000;

export interface VariableStatus {
  registry: string;
  /** The rotation of the config's `rotations` this variable is a destination of; null for the single form. */
  rotation: string | null;
  envVar: string;
  where: string;
  set: boolean;
  last4: string | null;
  setAt: string | null;
  /** The rotation that put the held value there; when none did, the latest rotate recorded. */
  lastRotation: RotationRecord | null;
  daysLeft: number | null;
  warning: string | null;
  /** What the registry says about this kind of token (npm's January 2027 change). */
  notes: string[];
  /** With --expiring-within: whether the held token expires within those days, as far as the records tell. */
  expiring: boolean | null;
}

/** --expiring-within DAYS: a whole number of days, 0 or more. */
function expiringWithin(flags: StatusFlags): number | undefined {
  if (flags.expiringWithin === undefined) return undefined;
  const days = Number(flags.expiringWithin);
  if (!Number.isInteger(days) || days < 0) throw new UsageError(`--expiring-within ${flags.expiringWithin}: give a whole number of days`);
  if (flags.trust) throw new UsageError("--expiring-within reads rotate's records and opens no browser: leave out --trust");
  return days;
}

export async function runStatus(flags: StatusFlags, runtime: Runtime): Promise<number> {
  // The replicas load only for drills: a real run never pays for them.
  const drill = flags.sandbox ? await openDrill(runtime, flags) : undefined;
  try {
    return await statusOf(flags, drill, runtime);
  } finally {
    await drill?.close();
  }
}

async function statusOf(flags: StatusFlags, drill: Drill | undefined, runtime: Runtime): Promise<number> {
  const { registries } = runtime;
  const within = expiringWithin(flags);
  const sections = [circleciSection, browserSection, ...registries.map((r) => r.section)];
  // A drill's status reads the drill's world: its addresses for every registry, its CircleCI token.
  const sources = loadSources({
    flags: drill ? registries.reduce<Record<string, unknown>>((all, r) => ({ ...all, ...drillFlags(drill, r.id, flags) }), {}) : flags,
    env: drill ? registries.reduce((all, r) => ({ ...all, ...drill.env(r.id, false) }), runtime.env) : runtime.env,
    cwd: runtime.cwd,
    fileSections: sections,
  });
  const circle = circleciSettings(sources);
  const ask = new Ask(runtime.io, runtime.prompter);
  // With --trust the password goes to the trusting registries' addresses too: those are confirmed as well.
  const signedInTo = flags.trust ? registries.filter((r) => r.trust).map((r) => r.section) : [];
  if (!drill)
    await confirmUrls(overriddenUrls([circleciSection, ...signedInTo], sources), {
      trustUrls: Boolean(flags.trustUrls),
      ask,
      note: (text) => runtime.io.err(`${text}\n`),
    });
  const client = runtime.circleci({
    baseUrl: circle.url,
    token: await circleciToken(drill ? sources.env : runtime.env, ask),
    // Every retry is said, with or without a terminal: a scheduled job's log shows why it waited.
    onRetry: ({ reason, waitMs }) => runtime.io.err(`CircleCI ${reason}; trying again in ${(waitMs / 1000).toFixed(1)}s\n`),
  });
  // Drills stay out of the audit record; a drill's status reads the history's drill lines, which
  // tell of the running sandbox's world only: a world started for this status has no past.
  const history = sources.filePath && !(drill && !drill.shared) ? History.beside(sources.filePath) : undefined;
  const records = drill ? { history, drills: true } : { audit: new AuditLog(auditPath(runtime.env)), history };
  const now = runtime.clock().getTime();

  // "Each configured token": the registries the config file names, or all when it names none; a
  // section with `rotations` has a token per rotation.
  const named = registries.filter((registry) => sources.file[registry.section.section] !== undefined);
  const statuses: VariableStatus[] = [];
  /** Each status's command that rotates it (`rotate npm`, `rotate npm --only widget`), for the lines that name one. */
  const commands: string[] = [];
  const tokens = (named.length > 0 ? named : registries).flatMap((registry): ConfiguredToken[] => {
    const given = givenRotations(registry, sources);
    if (given)
      return given.map((rotation) => ({ registry, rotation: rotation.name, resolved: rotation.settings, targets: rotation.targets }));
    const resolved = resolveSection(registry.section, sources);
    const envVar = (typeof resolved.envVar === "string" ? resolved.envVar : undefined) ?? registry.defaultEnvVar;
    return [{ registry, rotation: null, resolved, targets: destinationsFor(circle, envVar) }];
  });
  for (const { registry, rotation, resolved, targets } of tokens) {
    const found = await preflightCircleci(client, targets);
    const command = `rotate ${registry.id}${rotation ? ` --only ${rotation}` : ""}`;
    for (const { target, held } of found.destinations) {
      const { envVar } = target;
      const rotations = rotationsOf(records, { registry: registry.title, envVar, where: target.where });
      const heldRecord = held && recordOfHeld(held, rotations);
      const expires = heldRecord?.expires ? Date.parse(heldRecord.expires) : undefined;
      const daysLeft = expires === undefined ? null : Math.floor((expires - now) / DAY_MS);
      // With the value CircleCI holds, the registry says whether it still works: dead before its expiry is revoked, not expired.
      const value = held ? heldValueGiven(registry, runtime.env, held.last4) : undefined;
      const dead = value !== undefined && (await probeHeldValue(registry, sources, value, runtime)) === "dead";
      statuses.push({
        registry: registry.title,
        rotation,
        envVar,
        where: target.where,
        set: Boolean(held),
        last4: held?.last4 ?? null,
        setAt: held?.setAt?.toISOString() ?? null,
        lastRotation: heldRecord ?? rotations.at(-1) ?? null,
        daysLeft,
        warning: dead
          ? deadHeldToken(registry, expires === undefined ? undefined : new Date(expires), runtime.clock())
          : warningFor(command, held, heldRecord, rotations.at(-1), daysLeft),
        notes: held ? registry.statusNotes(resolved) : [],
        expiring: within === undefined ? null : expires !== undefined && expires - now <= within * DAY_MS,
      });
      commands.push(command);
    }
  }

  const variablesOf = (registry: Registry) =>
    statuses.filter((s) => s.registry === registry.title).map(({ envVar, where, last4, set }) => ({ envVar, where, last4, set }));
  const trust = flags.trust
    ? await trustStatus(runtime, sources, client, circle.projectSlug, variablesOf, Boolean(flags.trustUrls || drill))
    : undefined;
  const expiring = statuses.filter((status) => status.expiring);
  if (flags.json) {
    const due =
      within === undefined ? {} : { expiringWithin: { days: within, expiring: expiring.map((s) => `${s.envVar} in ${s.where}`) } };
    const marked = drill ? { drill: true } : {};
    runtime.io.out(
      `${JSON.stringify({ ...marked, project: circle.projectSlug ?? null, variables: statuses, ...due, ...(trust ? { trust } : {}) })}\n`,
    );
    return expiring.length > 0 ? ExitCode.expiringSoon : ExitCode.done;
  }
  // A drill's status says so first, as every drill's output does.
  if (drill) runtime.io.out("DRILL: the drill world on local replicas, not a real project.\n");
  if (within !== undefined) runtime.io.out(`${statuses.map((status, i) => expiryLine(status, commands[i] ?? "", within)).join("\n")}\n`);
  else {
    // A fleet is a line per rotation unless --all asks for every destination.
    const fleet = tokens.some((token) => token.rotation !== null) && !flags.all;
    const lines = fleet ? rotationLines(statuses) : statuses.map(renderStatus);
    runtime.io.out(`${[...lines, ...(trust ? [renderTrustStatus(trust, registries)] : [])].join("\n")}\n`);
  }
  return expiring.length > 0 ? ExitCode.expiringSoon : ExitCode.done;
}

/** A token the config names: the single form's, or one of its rotations'. */
interface ConfiguredToken {
  registry: Registry;
  rotation: string | null;
  resolved: Record<string, unknown>;
  targets: TargetSpec[];
}

function warningFor(
  command: string,
  held: HeldValue | undefined,
  heldRecord: RotationRecord | undefined,
  latest: RotationRecord | undefined,
  daysLeft: number | null,
): string | null {
  if (!held || !latest) return null;
  if (!heldRecord) {
    const shown = held.last4 ? `CircleCI shows …${held.last4}` : "CircleCI's value was set after it";
    return `changed outside rotate: expiry unknown (${shown}; rotate last put …${latest.last4} there): check who changed it`;
  }
  if (daysLeft === null) return null;
  if (daysLeft < 0) return `expired on ${heldRecord.expires?.slice(0, 10)}: run ${command} now`;
  if (daysLeft < WARN_DAYS) return `expires in ${daysLeft} day(s): run ${command} soon`;
  return null;
}

/** --expiring-within: one line per token CircleCI holds, saying when it expires as far as the records tell. */
function expiryLine(status: VariableStatus, command: string, days: number): string {
  const head = `${headOf(status)}:`;
  if (!status.set) return `${head} not set`;
  const held = `…${status.last4 ?? "????"}`;
  const record = status.lastRotation;
  if (status.warning?.startsWith("changed outside rotate")) return `${head} ${held} expiry unknown (changed outside rotate)`;
  if (!record) return `${head} ${held} expiry unknown (no rotation by rotate recorded)`;
  if (!record.expires || status.daysLeft === null) return `${head} ${held} never expires (${record.recordedIn}: "${record.tokenName}")`;
  const when =
    status.daysLeft < 0
      ? `expired on ${record.expires.slice(0, 10)}`
      : `expires ${record.expires.slice(0, 10)} (${status.daysLeft} day(s) left)`;
  return status.expiring ? `${head} ${held} ${when}: within ${days} days, run ${command}` : `${head} ${held} ${when}`;
}

/** `npm   NPM_TOKEN in project gh/acme/widget`, with the rotation's name first when it is one of a fleet's. */
function headOf(status: VariableStatus): string {
  return `${status.registry.padEnd(5)} ${status.rotation ? `${status.rotation}: ` : ""}${status.envVar} in ${status.where}`;
}

/** A fleet at a glance: one line per rotation (what its destinations hold, the soonest expiry, how many warnings), then the notes once. */
function rotationLines(statuses: VariableStatus[]): string[] {
  const names = [...new Set(statuses.map((s) => `${s.registry}\u0000${s.rotation ?? ""}`))];
  const lines = names.map((key) => {
    const mine = statuses.filter((s) => `${s.registry}\u0000${s.rotation ?? ""}` === key);
    const [first] = mine;
    if (!first) return "";
    const held = [...new Set(mine.map((s) => (s.set ? `…${s.last4 ?? "????"}` : "not set")))].join(", ");
    const soonest = mine
      .filter((s) => s.daysLeft !== null && s.lastRotation?.expires)
      .sort((a, b) => (a.daysLeft ?? 0) - (b.daysLeft ?? 0))[0];
    const expiry = soonest
      ? `; expires ${soonest.lastRotation?.expires?.slice(0, 10)} (${soonest.daysLeft} day(s) left)`
      : "; expiry unknown";
    const warnings = mine.filter((s) => s.warning).length;
    return `${first.registry.padEnd(5)} ${first.rotation ?? first.envVar}: ${mine.length} destination(s), ${held}${expiry}${warnings > 0 ? `; ${warnings} warning(s): rotate status --all` : ""}`;
  });
  return [...lines, ...[...new Set(statuses.flatMap((s) => s.notes))].map((note) => `      note: ${note}`)];
}

function renderStatus(status: VariableStatus): string {
  const held = status.set ? `holds …${status.last4 ?? "????"}${status.setAt ? `, set ${status.setAt.slice(0, 10)}` : ""}` : "not set";
  const lines = [`${headOf(status)}: ${held}`];
  const record = status.lastRotation;
  if (record) {
    const expiry = record.expires ? `, expires ${record.expires.slice(0, 10)}` : ", never expires";
    const left = status.daysLeft !== null ? ` (${status.daysLeft} day(s) left)` : "";
    lines.push(
      `      last rotated ${record.at.slice(0, 10)} by ${record.by} (${record.recordedIn}): "${record.tokenName}"${expiry}${left}`,
    );
  } else {
    lines.push("      no rotation by rotate recorded in the project's history or on this machine");
  }
  if (status.warning) lines.push(`      warning: ${status.warning}`);
  for (const note of status.notes) lines.push(`      note: ${note}`);
  return lines.join("\n");
}
