// The runbook, registry-agnostic: preflight → sign in → inventory → rotate → report.
// Nothing is created or deleted before every dependency has answered. Every change enters the
// journal the moment it happens, so a failure at any point (or Ctrl-C) can say exactly where
// things stand, clean up what must not be left behind, and name the next step.
import type { Ask } from "../ask.js";
import { interruptible } from "../interruptible.js";
import type { FoundBrowser } from "../browser/finder.js";
import type { AssetOrigin } from "../browser/guard.js";
import type { BrowserSession } from "../browser/launch.js";
import { describeHeld, type ContextApi } from "../circleci/client.js";
import {
  confirmHolds,
  preflightCircleci,
  targetFlag,
  type CircleciApi,
  type PreflightedDestination,
  type TargetSpec,
} from "../circleci/targets.js";
import { CircleciError, InterruptedError, NothingChangedError, RunFailed, UsageError } from "../errors.js";
import { Journal, type JournalEntry } from "./journal.js";
import { holderOf, identifyOldToken, leftoverTokens } from "./old-token.js";
import type { TokenRecord } from "./records.js";
import { chooseOrder, confirmPlan, planLines, resolveSameNamed, type Order } from "./plan.js";
import type { Checklist } from "./progress.js";
import type { Destination } from "./state.js";
import type { ConfiguredRegistry } from "../registry.js";
import type { CreatedToken, Credentials, RegistryAccount, TokenSummary } from "./capability.js";
import { describeError, type Secret } from "../secrets/secret.js";
import type { Address } from "../settings/config.js";
import { addressLines } from "../settings/official-urls.js";
import type { Steps } from "./steps.js";
import { namePrefix, tokenName } from "./token-names.js";
import { whyHeldTokenDied } from "./held-token.js";

export type { Order } from "./plan.js";

/** What the responder asked for, from flags, environment and config (see commands/rotate.ts). */
export interface RotationRequest {
  /** e.g. "rotate pypi", for next-step messages. */
  command: string;
  targets: TargetSpec[];
  /** Undefined: ask "Was the old token exposed?" (routine when nobody can answer). */
  order?: Order;
  graceSeconds: number;
  yes: boolean;
  /** Preflight, sign in, inventory and the plan; then stop before any change. */
  dryRun: boolean;
  deleteOrphans: boolean;
  /** The responder named the old token, or said there is none to delete. */
  oldToken?: { name: string } | "none";
  /** The old token's value, when the responder has it: lets rotate prove it is dead. */
  oldTokenValue?: Secret;
  createEnvVar: boolean;
  /** Where credentials go, each with where it came from: the plan names them. */
  addresses?: Address[];
}

export interface RunbookDeps {
  ask: Ask;
  progress: Checklist;
  steps: Steps;
  credentials: Credentials;
  circleci: CircleciApi;
  findBrowser(): FoundBrowser;
  /** `headless` overrides the run's setting (a fresh headless browser for clean-up). */
  launchBrowser(browser: FoundBrowser, site: { origins: string[]; assets: AssetOrigin[] }, headless?: boolean): Promise<BrowserSession>;
  /** What could not be made safe on this machine (core dumps, Chromium's sandbox): shown in the plan. */
  cautions: string[];
  /** Rejects with a one-line reason when a registry URL cannot be reached. */
  reachable(url: string): Promise<void>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  clock: () => Date;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** Hears each journal entry as it is recorded (the audit record). */
  onEntry?: (entry: JournalEntry, journal: Journal) => void;
  /** What the last rotation of a variable put there, from the audit record (drills have none). */
  lastRotated?: (envVar: string, where: string) => { name: string; last4: string; at: string } | undefined;
  /** What rotate recorded of a token of this name it made: its last four, where it put it (drills have none). */
  tokenRecord?: (tokenName: string) => TokenRecord | undefined;
}

export interface RotationResult {
  kind: "rotated";
  journal: Journal;
  order: Order;
  circleciUser: string;
  /** The API CircleCI's contexts went through; absent when no destination was a context. */
  contextApi?: ContextApi;
  newToken: { name: string; last4: string; expires?: Date };
  /** provenDead: the registry rejects its value; otherwise it is only gone from the list. */
  oldToken?: { name: string; provenDead: boolean };
  orphansDeleted: string[];
  warnings: string[];
  /** What a human must still do (a session the registry would not end): the run exits 3. */
  needsHuman: string[];
  advisories: string[];
}

export interface DryRunResult {
  kind: "dry-run";
  plan: string[];
}

type StepRunner = <T>(label: string, work: () => Promise<T>, describe?: (value: T) => string | undefined) => Promise<T>;

/**
 * One token's rotation: the registry's flow, CircleCI's destinations, and the journal of what
 * changed. A run of `rotate <registry>` makes one; a fleet (`--all`) one per rotation it names.
 */
export class Rotation {
  readonly warnings: string[] = [];
  /** The old token's value, when the responder has it: lets rotate prove it dead. */
  oldValue: Secret | undefined;
  private readonly stopSignals: AbortSignal[];
  readonly step: StepRunner;

  constructor(
    readonly registry: ConfiguredRegistry,
    readonly request: RotationRequest,
    readonly deps: RunbookDeps,
    readonly journal: Journal,
    readonly destinations: PreflightedDestination[],
  ) {
    this.stopSignals = [deps.signal];
    this.oldValue = request.oldTokenValue;
    this.step = (label, work, describe) => deps.progress.step(label, () => interruptible(work(), this.stopSignals), describe);
  }

  get title(): string {
    return this.registry.registry.title;
  }

  stopAlso(signal: AbortSignal): void {
    this.stopSignals.push(signal);
  }

  /** create → check live → push to every destination → verify each. */
  async addNew(account: RegistryAccount, name: string, order: Order): Promise<CreatedToken> {
    this.journal.advance({ step: "create-requested", name });
    const created = await this.step(
      `Create ${this.title} token "${name}"`,
      () => account.createToken(name),
      (t) => `…${t.value.last4}`,
    );
    this.journal.advance({
      step: "create",
      token: created.summary,
      last4: created.value.last4,
      ...(created.expires ? { expires: created.expires } : {}),
    });

    // Checked before CircleCI gets it: CircleCI never returns a value, so a broken token pushed
    // over the old one could not be taken back.
    await this.step("Check the new token works", async () => {
      const state = await this.registry.flow.check(created.value, this.deps);
      if (state !== "live") throw new NothingChangedError(`${this.title} does not accept the new token (its check says ${state})`);
    });
    this.journal.advance({ step: "check-new" });

    await this.pushToAll(created.value, order);
    for (const [index, destination] of this.destinations.entries()) {
      await this.step(
        `Confirm CircleCI holds it in ${this.journal.label(index)}`,
        async () => {
          const confirmation = await confirmHolds(destination.target, created.value, destination.held);
          if (!confirmation.holds) {
            this.journal.advance({ step: "verify-circleci-failed", destination: index, shown: confirmation.shown });
            throw new NothingChangedError(
              `CircleCI does not hold the new token: ${this.journal.label(index)} shows ${confirmation.shown}, the new token ends …${created.value.last4}`,
            );
          }
        },
        () => `shows …${created.value.last4}`,
      );
      this.journal.advance({ step: "verify-circleci", destination: index });
    }
    return created;
  }

  /**
   * Pushes to every destination; one that refuses is recorded and the others still get the
   * token. In a terminal the failed ones can be retried at once; otherwise the run stops with
   * exit 3 and names them.
   */
  private async pushToAll(value: Secret, order: Order): Promise<void> {
    let pending = this.destinations.map((_, index) => index);
    for (;;) {
      const failed: number[] = [];
      for (const index of pending) {
        const destination = this.destinations[index];
        if (!destination) continue;
        try {
          await this.step(`Put it in ${this.journal.label(index)}`, () => destination.target.write(value));
          this.journal.advance({ step: "push", destination: index });
        } catch (error) {
          if (!(error instanceof CircleciError)) throw error;
          this.journal.advance({ step: "push-failed", destination: index, why: error.message });
          failed.push(index);
        }
      }
      if (failed.length === 0) return;
      const labels = failed.map((index) => this.journal.label(index)).join(", ");
      const oldDead = order === "incident";
      const retry =
        this.deps.ask.canPrompt &&
        (await this.deps.ask.confirm(
          `${labels} did not get the new token${oldDead ? " (and the old token is already dead)" : ""}. Retry ${failed.length === 1 ? "it" : "them"}?`,
          true,
          "",
        ));
      if (!retry)
        throw new CircleciError(
          `CircleCI did not take the new token in ${labels}: ${this.journal.destinations[failed[0] ?? 0]?.failure ?? ""}`,
        );
      pending = failed;
    }
  }

  async removeOld(account: RegistryAccount): Promise<void> {
    const old = this.journal.old.token;
    if (!old) {
      this.deps.progress.skip("Delete the old token", "none identified");
      return;
    }
    const value = this.oldValue;
    await this.step(`Delete old token "${old.name}"`, () => account.deleteToken(old, value));
    this.journal.advance({ step: "delete-old" });

    const detail = await this.step(
      "Check the old token is gone",
      async () => {
        const remaining = await account.listTokens();
        if (remaining.some((t) => t.id === old.id))
          throw new NothingChangedError(`${this.title} still lists the old token "${old.name}" after deleting it`);
        if (!value) return { dead: false, text: "gone from the list (its value was not given, so it was not probed)" };
        const state = await this.registry.flow.check(value, this.deps);
        if (state === "dead") return { dead: true, text: `${this.title} rejects it` };
        const warning = `${this.title} still answers "${state}" for the old token after deleting it; check again later`;
        this.warnings.push(warning);
        return { dead: false, text: warning };
      },
      (outcome) => outcome.text,
    );
    this.journal.advance({ step: "verify-old", dead: detail.dead });
  }

  /** The rotation is complete here: a leftover that will not go is a warning, not a failure. */
  async deleteOrphans(account: RegistryAccount, orphans: TokenSummary[]): Promise<string[]> {
    const deleted: string[] = [];
    for (const orphan of orphans) {
      try {
        await this.step(`Delete leftover token "${orphan.name}"`, () => account.deleteToken(orphan));
        this.journal.advance({ step: "delete-orphan", name: orphan.name, deleted: true });
        deleted.push(orphan.name);
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
        this.warnings.push(`could not delete leftover token "${orphan.name}" (${describeError(error)}); delete it by hand`);
        this.journal.advance({ step: "delete-orphan", name: orphan.name, deleted: false });
      }
    }
    return deleted;
  }

  /**
   * The rotation proper, in the order the situation calls for. `keepOld` says why the old token
   * must stay for now (another rotation's destinations still hold it); then it is not deleted.
   */
  async replace(account: RegistryAccount, newName: string, order: Order, keepOld?: () => string | undefined): Promise<CreatedToken> {
    if (order === "incident") {
      await this.removeOld(account);
      return this.addNew(account, newName, order);
    }
    const created = await this.addNew(account, newName, order);
    const kept = keepOld?.();
    if (kept) {
      this.warnings.push(kept);
      this.deps.progress.skip("Delete the old token", kept);
      return created;
    }
    if (this.request.graceSeconds > 0 && this.journal.old.token) {
      await this.step(`Wait ${this.request.graceSeconds}s so publishes already running can finish`, () =>
        this.deps.sleep(this.request.graceSeconds * 1000, this.deps.signal),
      );
    }
    await this.removeOld(account);
    return created;
  }

  /** What the rotation achieved, once it is done; `leftForHuman`: an old token no one could tell, kept. */
  result(created: CreatedToken, order: Order, circleciUser: string, orphansDeleted: string[], leftForHuman?: string): RotationResult {
    const { journal } = this;
    const oldGone = journal.old.state === "deleted" || journal.old.state === "dead";
    const contextApi = this.deps.circleci.contextApi;
    return {
      kind: "rotated",
      journal,
      order,
      circleciUser,
      ...(contextApi ? { contextApi } : {}),
      newToken: { name: created.summary.name, last4: created.value.last4, ...(created.expires ? { expires: created.expires } : {}) },
      ...(journal.old.token && oldGone ? { oldToken: { name: journal.old.token.name, provenDead: journal.old.state === "dead" } } : {}),
      orphansDeleted,
      warnings: this.warnings,
      needsHuman: [...(leftForHuman ? [leftForHuman] : []), ...journal.sessionsLeft],
      advisories: this.registry.flow.advisories(),
    };
  }

  /**
   * Every session the run signed in with ends with it (npm revokes its session tokens). One the
   * registry would not end is a live credential: it goes into the journal (where things stand, exit 3).
   */
  async endSessions(account: RegistryAccount | undefined): Promise<void> {
    if (!account) return;
    try {
      await account.signOut();
    } catch (error) {
      this.journal.advance({ step: "sign-out-failed", why: describeError(error) });
    }
  }

  /**
   * Never leave a token CircleCI does not hold: delete it, or say which one to delete. Runs on
   * an account handle of its own, since the first may still be stuck in the step that failed
   * (or its browser is gone).
   */
  async cleanUp(account: RegistryAccount | undefined): Promise<void> {
    const requested = this.journal.new.token;
    if (!account || !requested || !this.journal.newTokenUnpushed) return;
    try {
      const existed = await this.deps.progress.step(
        `Clean up: delete the new token "${requested.name}"`,
        async () => {
          const fresh = await account.forCleanUp();
          try {
            // A create whose result was not seen: the list says whether it happened.
            const token =
              this.journal.new.state === "requested" ? (await fresh.listTokens()).find((t) => t.name === requested.name) : requested;
            if (token) await fresh.deleteToken(token);
            return token !== undefined;
          } finally {
            // A session that will not end is reported by endSessions(), which asks again.
            await fresh.signOut().catch(() => undefined);
          }
        },
        (found) => (found ? undefined : "it was never created"),
      );
      this.journal.advance({ step: "clean-up", removed: existed });
    } catch (error) {
      const why = describeError(error);
      this.deps.progress.note(`could not delete it: ${why}`);
      this.journal.advance({ step: "clean-up-failed", why });
    }
  }
}

/**
 * An exposed token is deleted first; with its value rotate can also prove the registry rejects
 * it afterwards. Optional: Enter skips it (the summary then says it was not proven dead).
 */
async function askExposedValue(ask: Ask, title: string): Promise<Secret | undefined> {
  if (!ask.canPrompt) return undefined;
  const value = await ask.secret(
    `Paste the exposed ${title} token so rotate can prove it dead afterwards (Enter to skip):`,
    `old ${title} token`,
    "",
  );
  return value.reveal() === "" ? undefined : value;
}

type Site = { origins: string[]; assets: AssetOrigin[] };

/** The journal's view of preflighted destinations: each unchanged, with the last four it showed before. */
export function journalDestinations(destinations: PreflightedDestination[]): Destination[] {
  return destinations.map((d) => ({
    envVar: d.target.envVar,
    where: d.target.where,
    target: targetFlag(d.target.spec),
    state: "unchanged",
    ...(d.held?.last4 ? { before: d.held.last4 } : {}),
  }));
}

/**
 * The isolated browser, started while CircleCI is checked: opening it changes nothing, and it
 * takes its own time (Chromium starts in processes of its own). A browser that cannot be found
 * or started is reported at its own step, after CircleCI's; a failed preflight closes it.
 */
export function startBrowser(deps: RunbookDeps, site: Site) {
  let found: FoundBrowser | undefined;
  let notFound: unknown;
  try {
    found = deps.findBrowser();
  } catch (error) {
    notFound = error;
  }
  const session = found ? deps.launchBrowser(found, site) : Promise.reject(notFound);
  session.catch(() => undefined); // awaited at its step, or closed by abandon()
  return {
    found(): FoundBrowser {
      if (!found) throw notFound;
      return found;
    },
    session,
    abandon: () =>
      void session.then(
        (opened) => opened.close(),
        () => undefined,
      ),
  };
}

async function preflight(registry: ConfiguredRegistry, request: RotationRequest, deps: RunbookDeps, site: Site) {
  // The registry's reachability is asked while CircleCI is checked: each is a read over the network.
  const reaching = Promise.all(registry.flow.reachabilityUrls().map((url) => deps.reachable(url)));
  reaching.catch(() => undefined); // awaited below; abandoned when CircleCI's preflight fails first
  const browser = startBrowser(deps, site);
  try {
    const circle = await deps.progress.step(
      "Preflight CircleCI: token, projects, variables",
      () => interruptible(preflightCircleci(deps.circleci, request.targets), [deps.signal]),
      (c) => `${c.user.login} · ${c.destinations.map((d) => `${d.target.where} ${describeHeld(d.held)}`).join(" · ")}`,
    );
    const missing = circle.destinations.filter((d) => !d.held);
    if (missing.length > 0 && !request.createEnvVar) {
      const where = missing.map((d) => `${d.target.envVar} in ${d.target.where}`).join(", ");
      throw new NothingChangedError(
        `${where} ${missing.length === 1 ? "is" : "are"} not set: check the variable name and --target, or pass --create-env-var to give CircleCI its first ${registry.registry.title} token there`,
      );
    }
    const destinations = await resolveSameNamed(circle.destinations, circle.sameNamed, deps.ask, deps.progress);
    const first = destinations[0];
    if (!first) throw new UsageError("no CircleCI destination given: pass --project-slug or --target");
    const found = await deps.progress.step(
      "Preflight browser and registry",
      async () => {
        await reaching;
        return browser.found();
      },
      (found) => found.executablePath,
    );
    return { user: circle.user, destinations, first, browser: found, session: browser.session };
  } catch (error) {
    browser.abandon();
    throw error;
  }
}

export async function runRotation(
  registry: ConfiguredRegistry,
  request: RotationRequest,
  deps: RunbookDeps,
): Promise<RotationResult | DryRunResult> {
  const { progress, ask } = deps;
  const title = registry.registry.title;

  // 1. Preflight: nothing changes before all of this has passed.
  if (!request.yes && !request.dryRun && !ask.canPrompt) {
    throw new UsageError("rotate deletes and creates tokens, so a run without a terminal needs --yes to confirm it");
  }
  const site = { origins: registry.flow.origins(), assets: registry.registry.assetOrigins };
  const checked = await preflight(registry, request, deps, site);
  const journal = new Journal(title, request.command, journalDestinations(checked.destinations), deps.clock, deps.onEntry);
  journal.advance({ step: "preflight", detail: `CircleCI user ${checked.user.login}; ${journal.where}` });
  const rotation = new Rotation(registry, request, deps, journal, checked.destinations);
  const { step } = rotation;
  const { first } = checked;

  // 2. Sign in, in a browser that shares nothing with the responder's own.
  const session = await step("Open an isolated browser", () => checked.session);
  rotation.stopAlso(session.lost);
  let account: RegistryAccount | undefined;
  try {
    account = await step(`Sign in to ${title}`, () =>
      registry.flow.signIn({
        credentials: deps.credentials,
        steps: deps.steps,
        signal: deps.signal,
        browser: session,
        relaunch: () => deps.launchBrowser(checked.browser, site, true),
        clock: deps.clock,
      }),
    );
    journal.advance({ step: "sign-in" });
    const signedIn = account;

    // 3. Inventory: can the account make the token, which token CircleCI holds now, and what
    //    this tool left behind before.
    await step(`Check the account may make the token (${registry.flow.describeScope()})`, () => signedIn.checkScope());
    const tokens = await step(
      `List ${title} tokens`,
      () => signedIn.listTokens(),
      (t) => `${t.length} token(s)`,
    );
    const order = await chooseOrder(request.order, ask);
    rotation.oldValue ??= order === "incident" ? await askExposedValue(ask, title) : undefined;
    const prefix = namePrefix(first.target.spec);
    const lastRotated = deps.lastRotated?.(first.target.envVar, first.target.where);
    const question = {
      tokens,
      held: first.held,
      namePrefix: prefix,
      publishes: registry.flow.publishes(),
      ...(request.oldToken ? { named: request.oldToken } : {}),
      ...(rotation.oldValue ? { value: rotation.oldValue } : {}),
      ...(lastRotated ? { lastRotated } : {}),
      ...(deps.tokenRecord ? { recorded: deps.tokenRecord } : {}),
      others: checked.destinations.slice(1).map(holderOf),
      order,
      registry: title,
      ask,
    };
    const identified = await identifyOldToken(question);
    const old = identified.token;
    const oldNote = identified.leftForHuman ?? identified.note;
    // The list says the token CircleCI holds was revoked: said so, not "expired", before its expiry.
    const oldDead = old?.revoked ? whyHeldTokenDied(registry.registry, old.expires, deps.clock()) : undefined;
    const orphans = leftoverTokens(
      question,
      identified,
      checked.destinations.map((d) => d.target.where),
    );
    const newName = tokenName(prefix, deps.clock(), tokens);
    const plan = {
      order,
      registry: title,
      create: `create ${title} token "${newName}" (${registry.flow.describeScope()}), check it works, put it in ${journal.destinations.map((d) => `${d.envVar} in ${d.where}`).join(" and ")}`,
      old,
      ...(oldNote ? { oldNote } : {}),
      orphans,
      advisories: [
        ...(oldDead
          ? [
              `The token CircleCI holds ("${old?.name}") no longer works: ${oldDead}. CircleCI cannot publish with it; this rotation replaces it.`,
            ]
          : []),
        ...registry.flow.advisories(),
        ...deps.cautions,
        ...(request.addresses ? addressLines(request.addresses) : []),
      ],
    };
    for (const line of planLines(plan)) progress.note(line);
    if (request.dryRun) {
      await rotation.endSessions(signedIn);
      for (const left of journal.sessionsLeft) progress.note(left);
      return { kind: "dry-run", plan: planLines(plan) };
    }
    const deleteOrphans = await confirmPlan(plan, request, ask);
    journal.advance({ step: "plan", old, detail: `${order} order; new token "${newName}"; old ${old ? `"${old.name}"` : "none"}` });

    // 4. Rotate, in the order the situation calls for.
    const created = await rotation.replace(signedIn, newName, order);
    const orphansDeleted = deleteOrphans ? await rotation.deleteOrphans(signedIn, orphans) : [];

    journal.advance({ step: "done", detail: `${order} order` });
    await rotation.endSessions(signedIn);
    return rotation.result(created, order, checked.user.login, orphansDeleted, identified.leftForHuman);
  } catch (error) {
    const cause = session.explain(error);
    journal.advance({ step: "failure", why: describeError(cause) });
    await rotation.cleanUp(account);
    await rotation.endSessions(account);
    throw new RunFailed(describeError(cause), cause, journal);
  } finally {
    await session.close();
  }
}
