// A fleet: every rotation of one registry that the config names (`rotate <registry> --all`, or
// `--only NAME,…`), in one sitting. Preflight covers every destination of every rotation before
// anything changes; a rotation whose destination cannot be reached is named and left out (asked
// in a terminal, refused without one unless --skip-unreachable). Then one sign-in, the account's
// token list read once, one plan and one confirmation, and each rotation's usual steps through the
// same runbook (Rotation) a single run uses, on the one signed-in account: a failing rotation is
// recorded and cleaned up, and the others still run. Ctrl-C or a lost browser stops the fleet.
import type { FoundBrowser } from "../browser/finder.js";
import { interruptible } from "../interruptible.js";
import { describeHeld } from "../circleci/client.js";
import { preflightCircleci, type PreflightedDestination } from "../circleci/targets.js";
import { CircleciError, NothingChangedError, RegistryError, RunFailed, UsageError } from "../errors.js";
import type { FleetMember } from "../settings/rotations.js";
import { describeError } from "../secrets/secret.js";
import type { RegistryAccount, TokenSummary } from "./capability.js";
import { FleetJournal, type FleetEntry } from "./fleet-journal.js";
import { Journal } from "./journal.js";
import type { DoneRecord } from "./records.js";
import { holderOf, identifyOldToken, leftoverTokens } from "./old-token.js";
import { chooseOrder, confirmPlan, resolveSameNamed, type Order } from "./plan.js";
import type { Progress } from "./progress.js";
import { journalDestinations, Rotation, startBrowser, type RotationRequest, type RunbookDeps } from "./runbook.js";
import { namePrefix, tokenName } from "./token-names.js";

/** What the responder asked of the whole fleet (see commands/rotate.ts). */
export interface FleetRequest {
  /** What reruns the fleet: `rotate npm --all` (a drill's says --sandbox). */
  command: string;
  /** What reruns one rotation: `rotate npm --only widget`. */
  commandFor(name: string): string;
  order?: Order;
  graceSeconds: number;
  yes: boolean;
  dryRun: boolean;
  deleteOrphans: boolean;
  /** --keep-old: no rotation deletes its old token. */
  keepOld: boolean;
  createEnvVar: boolean;
  /** Without a terminal, leave out the rotations a destination of which cannot be reached, instead of refusing. */
  skipUnreachable: boolean;
  /** Rotate again what was done within the last hour. */
  again: boolean;
}

export interface FleetDeps extends Omit<RunbookDeps, "progress"> {
  progress: Progress;
  /** The record of this rotation fully done within the last hour, when every destination still holds its token. */
  doneEarlier?(member: FleetMember, destinations: PreflightedDestination[]): DoneRecord | undefined;
  /** Whether to take the registry's offer to skip 2FA for a few minutes (asked once; several rotations each need the key). */
  skipTwoFactor?: (minutes: number) => Promise<boolean>;
}

export interface FleetResult {
  kind: "fleet";
  journal: FleetJournal;
  order: Order;
  circleciUser: string;
  advisories: string[];
}

export interface FleetDryRun {
  kind: "dry-run";
  plan: string[];
}

/** A rotation that passed preflight, with what it will do. */
interface Planned {
  member: FleetMember;
  entry: FleetEntry & { journal: Journal };
  destinations: PreflightedDestination[];
  request: RotationRequest;
  account?: RegistryAccount;
  newName?: string;
  old?: TokenSummary;
  /** Nobody could tell which token CircleCI holds: a human must delete it (said in the summary, exit 3). */
  leftForHuman?: string;
  orphans: TokenSummary[];
  /** Other rotations whose destinations hold the same old token (it goes only once all of them have their new one). */
  sharesOldWith: Planned[];
}

function memberRequest(request: FleetRequest, member: FleetMember): RotationRequest {
  return {
    command: request.commandFor(member.name),
    targets: member.targets,
    ...(request.order ? { order: request.order } : {}),
    graceSeconds: request.graceSeconds,
    yes: request.yes,
    dryRun: request.dryRun,
    deleteOrphans: request.deleteOrphans,
    ...(request.keepOld ? { oldToken: "none" as const } : {}),
    createEnvVar: request.createEnvVar,
  };
}

/** The rotations whose destinations could not be reached are named; left out when the responder (or --skip-unreachable) says so. */
async function leaveOutUnreachable(entries: FleetEntry[], request: FleetRequest, deps: FleetDeps): Promise<void> {
  const unreachable = entries.filter((entry) => entry.state.kind === "unreachable");
  if (unreachable.length === 0) return;
  for (const entry of unreachable) if (entry.state.kind === "unreachable") deps.progress.note(`${entry.name}: ${entry.state.why}`);
  const names = unreachable.map((entry) => entry.name).join(", ");
  if (unreachable.length === entries.length)
    throw new NothingChangedError(
      `no rotation can reach all its CircleCI destinations (${names}): fix them, then run \`${request.command}\` again`,
    );
  if (request.skipUnreachable) return deps.progress.note(`Left out, as --skip-unreachable says: ${names}.`);
  const others = entries.length - unreachable.length;
  if (!deps.ask.canPrompt)
    throw new UsageError(
      `${names}: a CircleCI destination cannot be reached (see above): fix it, or pass --skip-unreachable to rotate the other ${others}`,
    );
  if (!(await deps.ask.confirm(`Leave out ${names} and rotate the other ${others}?`, false, "pass --skip-unreachable")))
    throw new NothingChangedError(`a CircleCI destination of ${names} cannot be reached: fix it, then run \`${request.command}\` again`);
}

/** Preflight of every destination of every rotation: the CircleCI token once, then each rotation's destinations. */
async function preflightAll(members: FleetMember[], request: FleetRequest, deps: FleetDeps, title: string) {
  const user = await deps.progress.step(
    "Preflight CircleCI: the token",
    () => interruptible(deps.circleci.me(), [deps.signal]),
    (u) => u.login,
  );
  const checked: Array<{ member: FleetMember; entry: FleetEntry; destinations: PreflightedDestination[] }> = [];
  await deps.progress.step(
    `Preflight CircleCI: every destination of ${members.length} rotation(s)`,
    async () => {
      for (const member of members) {
        const entry: FleetEntry = { name: member.name, command: request.commandFor(member.name), state: { kind: "waiting" } };
        try {
          const found = await interruptible(preflightCircleci(deps.circleci, member.targets), [deps.signal]);
          const missing = found.destinations.filter((d) => !d.held);
          if (missing.length > 0 && !request.createEnvVar)
            throw new CircleciError(
              `${missing.map((d) => `${d.target.envVar} in ${d.target.where}`).join(", ")} not set (pass --create-env-var to give CircleCI its first ${title} token there)`,
            );
          const destinations = await resolveSameNamed(found.destinations, found.sameNamed, deps.ask, deps.progress);
          checked.push({ member, entry, destinations });
        } catch (error) {
          if (!(error instanceof CircleciError)) throw error;
          entry.state = { kind: "unreachable", why: error.message };
          checked.push({ member, entry, destinations: [] });
        }
      }
      return checked;
    },
    (all) => {
      const count = all.reduce((sum, c) => sum + c.destinations.length, 0);
      const left = all.filter((c) => c.entry.state.kind === "unreachable").length;
      return `${count} destination(s)${left > 0 ? `; ${left} rotation(s) cannot reach one` : ""}`;
    },
  );
  return { user, checked };
}

/** One line per rotation: what it will make, where it goes, and which old token goes. */
function planLine(planned: Planned, order: Order, title: string): string {
  const where = planned.destinations.map((d) => `${d.target.envVar} in ${d.target.where}`).join(", ");
  const create = `create "${planned.newName ?? ""}" (${planned.member.configured.flow.describeScope()}) → ${where}`;
  const keeper = planned.sharesOldWith.find((other) => other.old);
  const remove = planned.old
    ? `delete old "${planned.old.name}"${planned.sharesOldWith.length > 0 && order === "routine" ? ` once ${planned.sharesOldWith.map((p) => p.member.name).join(", ")} hold their new tokens too` : ""}`
    : keeper
      ? `its old token "${keeper.old?.name ?? ""}" goes with rotation ${keeper.member.name}`
      : `delete no old ${title} token (none identified)`;
  return `  ${planned.member.name}: ${order === "incident" ? `${remove}; then ${create}` : `${create}; then ${remove}`}`;
}

/**
 * Several rotations whose CircleCI destinations hold one and the same old token: in routine order
 * the last of them deletes it, and only once every one of them holds its new token; in incident
 * order the first one deletes it at once (it was exposed).
 */
function shareOldTokens(plans: Planned[], order: Order): void {
  const byToken = new Map<string, Planned[]>();
  for (const plan of plans) if (plan.old) byToken.set(plan.old.id, [...(byToken.get(plan.old.id) ?? []), plan]);
  for (const sharers of byToken.values()) {
    if (sharers.length < 2) continue;
    const keeper = order === "incident" ? sharers[0] : sharers.at(-1);
    for (const plan of sharers) {
      plan.sharesOldWith = sharers.filter((other) => other !== plan);
      if (plan !== keeper) delete plan.old;
    }
  }
}

/** The fleet's own steps on the checklist, each given up on Ctrl-C. */
function interruptibleSteps(deps: FleetDeps) {
  return <T>(label: string, work: () => Promise<T>, describe?: (value: T) => string | undefined) =>
    deps.progress.step(label, () => interruptible(work(), [deps.signal]), describe);
}

/**
 * Each rotation that passed preflight, with its journal; one this machine did to the end within
 * the last hour (and whose token CircleCI still holds) is left as done, unless --again.
 */
function planned(
  checked: Array<{ member: FleetMember; entry: FleetEntry; destinations: PreflightedDestination[] }>,
  request: FleetRequest,
  deps: FleetDeps,
  run: { title: string; user: string },
): Planned[] {
  const plans: Planned[] = [];
  for (const { member, entry, destinations } of checked) {
    if (entry.state.kind === "unreachable") continue;
    const done = request.again ? undefined : deps.doneEarlier?.(member, destinations);
    if (done) {
      entry.state = { kind: "done-earlier", ...done };
      deps.progress.note(
        `${member.name}: rotated at ${done.at.toISOString().slice(11, 16)} UTC, CircleCI still holds …${done.last4}: not redone (--again would)`,
      );
      continue;
    }
    const journal = new Journal(run.title, entry.command, journalDestinations(destinations), deps.clock, deps.onEntry, member.name);
    journal.advance({
      step: "preflight",
      detail: `CircleCI user ${run.user}; ${destinations.map((d) => `${d.target.where} ${describeHeld(d.held)}`).join(", ")}`,
    });
    plans.push({
      member,
      entry: Object.assign(entry, { journal }),
      destinations,
      request: memberRequest(request, member),
      orphans: [],
      sharesOldWith: [],
    });
  }
  return plans;
}

/**
 * The inventory, once for every rotation: may the account make each token, its token list (read
 * once), the order, and each rotation's old token, new name and leftovers.
 */
async function inventory(
  plans: Planned[],
  signedIn: RegistryAccount,
  request: FleetRequest,
  deps: FleetDeps,
  title: string,
): Promise<Order> {
  const step = interruptibleSteps(deps);
  await step(`Check the account may make each rotation's token (${plans.length})`, async () => {
    for (const plan of plans) {
      try {
        await plan.account?.checkScope();
      } catch (error) {
        if (error instanceof RegistryError) throw new RegistryError(`${plan.member.name}: ${error.message}`);
        throw error;
      }
    }
  });
  const tokens = await step(
    `List ${title} tokens`,
    () => signedIn.listTokens(),
    (t) => `${t.length} token(s)`,
  );
  const order = await chooseOrder(request.order, deps.ask);
  const runsIn = plans.flatMap((plan) => plan.destinations.map((d) => d.target.where));
  // Tokens some rotation deletes as its old one, or that might be what a destination holds: no leftovers.
  const kept = new Set<string>();
  for (const plan of plans) {
    const [firstDestination] = plan.destinations;
    const prefix = firstDestination ? namePrefix(firstDestination.target.spec) : "";
    const lastRotated = firstDestination && deps.lastRotated?.(firstDestination.target.envVar, firstDestination.target.where);
    const question = {
      tokens,
      namePrefix: prefix,
      publishes: plan.member.configured.flow.publishes(),
      ...(deps.tokenRecord ? { recorded: deps.tokenRecord } : {}),
    };
    try {
      const identified = await identifyOldToken({
        ...question,
        held: firstDestination?.held,
        ...(request.keepOld ? { named: "none" as const } : {}),
        ...(lastRotated ? { lastRotated } : {}),
        others: [
          ...plan.destinations.slice(1).map(holderOf),
          ...plans
            .filter((other) => other !== plan)
            .flatMap((other) => other.destinations.map((d) => ({ ...holderOf(d), namePrefix: namePrefix(d.target.spec) }))),
        ],
        order,
        registry: `${title} (rotation ${plan.member.name})`,
        ask: deps.ask,
      });
      plan.old = identified.token;
      plan.leftForHuman = identified.leftForHuman;
      plan.orphans = leftoverTokens(question, identified, runsIn);
      for (const token of [identified.token, ...(identified.mightBeHeld ?? [])]) if (token) kept.add(token.id);
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(`${plan.member.name}: ${error.message}`);
      throw error;
    }
    plan.newName = tokenName(prefix, deps.clock(), tokens);
  }
  for (const plan of plans) plan.orphans = plan.orphans.filter((t) => !kept.has(t.id));
  shareOldTokens(plans, order);
  return order;
}

export async function runFleet(members: FleetMember[], request: FleetRequest, deps: FleetDeps): Promise<FleetResult | FleetDryRun> {
  const { progress, ask } = deps;
  const first = members[0];
  if (!first) throw new UsageError("no rotation to run");
  const title = first.configured.registry.title;
  if (!request.yes && !request.dryRun && !ask.canPrompt)
    throw new UsageError("rotate deletes and creates tokens, so a run without a terminal needs --yes to confirm it");

  // 1. Preflight: every destination of every rotation, the browser and the registry, before any change.
  const site = { origins: first.configured.flow.origins(), assets: first.configured.registry.assetOrigins };
  const reaching = Promise.all(first.configured.flow.reachabilityUrls().map((url) => deps.reachable(url)));
  reaching.catch(() => undefined); // awaited below; abandoned when CircleCI's preflight fails first
  const browser = startBrowser(deps, site);
  let plans: Planned[];
  let user: { login: string };
  let found: FoundBrowser;
  const entries: FleetEntry[] = [];
  try {
    const preflight = await preflightAll(members, request, deps, title);
    user = preflight.user;
    entries.push(...preflight.checked.map((c) => c.entry));
    await leaveOutUnreachable(entries, request, deps);
    plans = planned(preflight.checked, request, deps, { title, user: user.login });
    if (plans.length === 0) {
      browser.abandon();
      return {
        kind: "fleet",
        journal: new FleetJournal(title, request.command, entries),
        order: request.order ?? "routine",
        circleciUser: user.login,
        advisories: [],
      };
    }
    found = await progress.step(
      "Preflight browser and registry",
      async () => {
        await reaching;
        return browser.found();
      },
      (f) => f.executablePath,
    );
  } catch (error) {
    browser.abandon();
    throw error;
  }

  const fleet = new FleetJournal(title, request.command, entries);
  // The first rotation to run signs in; the others adopt its account (they share the account and the sites).
  const [lead] = plans;
  if (!lead) throw new Error("no rotation planned");
  const step = interruptibleSteps(deps);
  const session = await step("Open an isolated browser", () => browser.session);
  let account: RegistryAccount | undefined;
  try {
    // 2. One sign-in for every rotation: the account is shared, each rotation makes its own tokens on it.
    account = await interruptible(
      step(`Sign in to ${title}`, () =>
        lead.member.configured.flow.signIn({
          credentials: deps.credentials,
          steps: deps.steps,
          signal: deps.signal,
          browser: session,
          relaunch: () => deps.launchBrowser(found, site, true),
          clock: deps.clock,
          ...(deps.skipTwoFactor ? { skipTwoFactor: deps.skipTwoFactor } : {}),
        }),
      ),
      [session.lost],
    );
    const signedIn = account;
    for (const plan of plans) {
      plan.account = plan === lead ? signedIn : plan.member.configured.flow.adopt(signedIn);
      plan.entry.journal.advance({ step: "sign-in" });
    }

    // 3. Inventory: may the account make each token; its token list, read once; each rotation's old token.
    const order = await inventory(plans, signedIn, request, deps, title);

    const advisories = [...new Set(plans.flatMap((plan) => plan.member.configured.flow.advisories()))];
    const orphans = plans.flatMap((plan) => plan.orphans);
    const lines = [
      `Plan (${order} order), ${plans.length} rotation(s):`,
      ...plans.map((plan) => planLine(plan, order, title)),
      ...(orphans.length > 0
        ? [`Leftover tokens from earlier runs that CircleCI does not hold: ${orphans.map((o) => `"${o.name}"`).join(", ")}`]
        : []),
      ...advisories,
      ...deps.cautions,
    ];
    for (const line of lines) progress.note(line);
    if (request.dryRun) return { kind: "dry-run", plan: lines };
    const deleteOrphans = await confirmPlan({ order, registry: title, create: "", old: undefined, orphans, advisories }, request, ask);
    for (const plan of plans)
      plan.entry.journal.advance({
        step: "plan",
        old: plan.old,
        detail: `${order} order; new token "${plan.newName ?? ""}"; old ${plan.old ? `"${plan.old.name}"` : "none"}`,
      });

    // 4. Each rotation's usual steps, one after another; one that fails does not stop the others.
    for (const plan of plans) {
      if (deps.signal.aborted || session.lost.aborted) break;
      await rotateOne(plan, order, { deps, session, user: user.login, deleteOrphans });
    }
    // The one sign-in ends with the fleet; a session the registry would not end is a live credential a human must know of.
    await account?.signOut().catch((error: unknown) => fleet.sessionsLeft.push(describeError(error)));
    return { kind: "fleet", journal: fleet, order, circleciUser: user.login, advisories };
  } catch (error) {
    const cause = session.explain(error);
    for (const plan of plans) plan.entry.journal.advance({ step: "failure", why: describeError(cause) });
    throw new RunFailed(describeError(cause), cause, fleet);
  } finally {
    await account?.signOut().catch(() => undefined);
    await session.close();
  }
}

/** One rotation of the fleet, on its own line of the checklist; a failure is recorded, cleaned up, and not thrown. */
async function rotateOne(
  plan: Planned,
  order: Order,
  run: { deps: FleetDeps; session: { lost: AbortSignal; explain(error: unknown): unknown }; user: string; deleteOrphans: boolean },
): Promise<void> {
  const { deps, session } = run;
  const { journal } = plan.entry;
  const account = plan.account;
  if (!account || !plan.newName) return;
  const line = deps.progress.line(plan.member.name);
  const rotation = new Rotation(plan.member.configured, plan.request, { ...deps, progress: line }, journal, plan.destinations);
  rotation.stopAlso(session.lost);
  // The old token others still hold goes only once every one of them holds its new token.
  const keepOld = () => {
    const waiting = plan.sharesOldWith.filter((other) => other.entry.state.kind !== "rotated").map((other) => other.member.name);
    return waiting.length > 0 && plan.old
      ? `old token "${plan.old.name}" kept: the destinations of ${waiting.join(", ")} still hold it; delete it once they have new tokens`
      : undefined;
  };
  try {
    const created = await rotation.replace(account, plan.newName, order, keepOld);
    const orphansDeleted = run.deleteOrphans ? await rotation.deleteOrphans(account, plan.orphans) : [];
    journal.advance({ step: "done", detail: `${order} order` });
    const result = rotation.result(created, order, run.user, orphansDeleted, plan.leftForHuman);
    plan.entry.state = { kind: "rotated", result };
    const old = result.oldToken
      ? `old "${result.oldToken.name}" deleted${result.oldToken.provenDead ? ", proven dead" : ""}`
      : "no old token deleted";
    line.end("ok", `…${result.newToken.last4} in ${journal.destinations.length} destination(s); ${old}`);
  } catch (error) {
    const cause = session.explain(error);
    const why = describeError(cause);
    journal.advance({ step: "failure", why });
    await rotation.cleanUp(account);
    plan.entry.state = { kind: "failed", why, reason: cause };
    line.end("failed", why);
  }
}
