// The runbook, registry-agnostic: preflight → sign in → inventory → rotate → report.
// Nothing is created or deleted before every dependency has answered. Every change is written
// to the journal first thing after it happens, so a failure at any point (or Ctrl-C) can say
// exactly where things stand, clean up what must not be left behind, and name the next step.
import type { Ask } from "./ask.js";
import type { FoundBrowser } from "./browser-finder.js";
import type { BrowserSession } from "./browser.js";
import { CircleciError, type CircleciClient, type HeldValue } from "./circleci.js";
import { confirmHolds, preflightCircleci, type CircleciPreflight, type EnvVarTarget } from "./circleci-target.js";
import { NothingChangedError, UsageError } from "./errors.js";
import type { CreatedToken, Credentials, FlowContext, RegistryFlow, TokenSummary } from "./flow.js";
import { Journal, type JournalEvent } from "./journal.js";
import type { Progress } from "./progress.js";
import { describeError, type Secret } from "./secret.js";
import type { Steps } from "./steps.js";
import { tokenName, toolMadeTokens } from "./token-names.js";

export type Order = "routine" | "incident";

export interface RunOptions {
  /** e.g. "rotate pypi", for next-step messages. */
  command: string;
  projectSlug: string;
  context?: string;
  envVar: string;
  /** Undefined: ask "Was the old token exposed?" (routine when nobody can answer). */
  order?: Order;
  graceSeconds: number;
  yes: boolean;
  deleteOrphans: boolean;
  /** The responder named the old token, or said there is none to delete. */
  oldToken?: { name: string } | "none";
  /** The old token's value, when the responder has it: lets rotate prove it is dead. */
  oldTokenValue?: Secret;
  createEnvVar: boolean;
  headless: boolean;
}

export interface RunbookDeps {
  ask: Ask;
  progress: Progress;
  steps: Steps;
  credentials: Credentials;
  circleci: CircleciClient;
  findBrowser(): FoundBrowser;
  launchBrowser(browser: FoundBrowser, allowedOrigins: string[]): Promise<BrowserSession>;
  /** Rejects with a one-line reason when a registry URL cannot be reached. */
  reachable(url: string): Promise<void>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  clock(): Date;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** Hears each journal event as it happens (the audit record). */
  onEvent?: (event: JournalEvent, journal: Journal) => void;
}

export interface RotationResult {
  journal: Journal;
  order: Order;
  circleciUser: string;
  newToken: { name: string; last4: string; expires?: Date };
  oldToken?: { name: string; dead: boolean };
  orphansDeleted: string[];
  warnings: string[];
}

/** The run failed; the journal says what changed. cli.ts turns it into exit code 1 or 3. */
export class RotationFailed extends Error {
  override name = "RotationFailed";
  constructor(
    readonly reason: unknown,
    readonly journal: Journal,
  ) {
    super(describeError(reason));
  }
}

export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor() {
    super("interrupted (Ctrl-C)");
  }
}

/**
 * Races a step against the signals that mean "stop now" (Ctrl-C, the browser window closed):
 * the step may go on in the background, the runbook does not wait for it.
 */
function interruptible<T>(work: Promise<T>, signals: AbortSignal[]): Promise<T> {
  if (signals.some((s) => s.aborted)) return Promise.reject(new InterruptedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new InterruptedError());
    for (const signal of signals) signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signals.forEach((signal) => signal.removeEventListener("abort", onAbort)));
  });
}

export async function runRotation<S>(
  flow: RegistryFlow<S>,
  settings: S,
  options: RunOptions,
  deps: RunbookDeps,
): Promise<RotationResult> {
  const { progress } = deps;
  const stopSignals = [deps.signal];
  const step = <T>(label: string, work: () => Promise<T>, describe?: (value: T) => string | undefined) =>
    progress.step(label, () => interruptible(work(), stopSignals), describe);
  const ctx: FlowContext<S> = { settings, credentials: deps.credentials, steps: deps.steps, signal: deps.signal };
  const warnings: string[] = [];

  // 1. Preflight: nothing changes before all of this has passed.
  flow.validate(settings);
  if (!options.yes && !deps.ask.canPrompt) {
    throw new UsageError("rotate deletes and creates tokens, so a run without a terminal needs --yes to confirm it");
  }
  const circle = await step(
    "Preflight CircleCI: token, project, variable",
    () => preflight(deps.circleci, options, flow.title),
    (c) => `${c.user.login} · ${c.target.where} · ${c.held?.last4 ? `holds …${c.held.last4}` : "not set yet"}`,
  );
  warnings.push(...circle.warnings);
  const journal = new Journal(flow.title, options.envVar, circle.target.where, deps.clock, deps.onEvent);
  journal.circleci.before = circle.held?.last4;
  journal.record("preflight", "ok", `CircleCI user ${circle.user.login}; ${circle.target.where}`);
  const browser = await step("Preflight browser and registry", async () => {
    const found = deps.findBrowser();
    for (const url of flow.reachabilityUrls(settings)) await deps.reachable(url);
    return found;
  }, (found) => found.executablePath);

  // 2. Sign in, in a browser that shares nothing with the responder's own.
  const session = await step("Open an isolated browser", () => deps.launchBrowser(browser, flow.origins(settings)));
  stopSignals.push(session.lost);
  try {
    await step(`Sign in to ${flow.title}`, () => flow.signIn(session.page, ctx));
    journal.record("sign-in", "ok");

    // 3. Inventory: can the account make the token, which token CircleCI holds now, and what
    //    this tool left behind before.
    await step(`Check the account may make the token (${flow.describeScope(settings)})`, () => flow.checkScope(session.page, ctx));
    const tokens = await step(`List ${flow.title} tokens`, () => flow.listTokens(session.page, ctx), (t) => `${t.length} token(s)`);
    const old = await identifyOldToken(tokens, circle.held, options, deps.ask, flow.title);
    journal.old = old ? { token: old, state: "alive" } : { state: "none" };
    const orphans = toolMadeTokens(tokens, options.envVar, options.projectSlug).filter((t) => t.id !== old?.id);
    const order = await chooseOrder(options, deps.ask);
    const newName = tokenName(options.envVar, options.projectSlug, deps.clock(), tokens);
    const deleteOrphans = await confirmPlan({ flow, settings, options, order, old, orphans, newName, target: circle.target, ask: deps.ask, progress });
    journal.record("plan", "ok", `${order} order; new token "${newName}"; old ${old ? `"${old.name}"` : "none"}`);

    // 4. Rotate, in the order the situation calls for.
    const addNew = () => createPushVerify(flow, ctx, session, circle, journal, newName, order, deps, step);
    const removeOld = () => deleteAndVerifyOld(flow, ctx, session, journal, options.oldTokenValue, step, progress, warnings);
    let created: CreatedToken;
    if (order === "incident") {
      await removeOld();
      created = await addNew();
    } else {
      created = await addNew();
      if (options.graceSeconds > 0 && old) {
        await step(`Wait ${options.graceSeconds}s so publishes already running can finish`, () =>
          deps.sleep(options.graceSeconds * 1000, deps.signal),
        );
      }
      await removeOld();
    }

    // The rotation is complete here: a leftover that will not go is a warning, not a failure.
    const orphansDeleted: string[] = [];
    for (const orphan of deleteOrphans ? orphans : []) {
      try {
        await step(`Delete leftover token "${orphan.name}"`, () => flow.deleteToken(session.page, ctx, orphan));
        journal.record("delete-orphan", "ok", orphan.name);
        orphansDeleted.push(orphan.name);
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
        warnings.push(`could not delete leftover token "${orphan.name}" (${describeError(session.explain(error))}); delete it by hand`);
        journal.record("delete-orphan", "warning", orphan.name);
      }
    }

    journal.record("done", "ok", `${order} order`);
    return {
      journal,
      order,
      circleciUser: circle.user.login,
      newToken: { name: created.summary.name, last4: created.value.last4, ...(created.expires ? { expires: created.expires } : {}) },
      ...(journal.old.token ? { oldToken: { name: journal.old.token.name, dead: journal.old.state === "dead" } } : {}),
      orphansDeleted,
      warnings,
    };
  } catch (error) {
    const cause = session.explain(error);
    journal.record("failure", "failed", describeError(cause));
    await cleanUp(flow, { ...ctx, signal: new AbortController().signal }, session, journal, progress);
    throw new RotationFailed(cause, journal);
  } finally {
    await session.close();
  }
}

async function preflight(client: CircleciClient, options: RunOptions, registry: string): Promise<CircleciPreflight> {
  try {
    const result = await preflightCircleci(client, options);
    if (!result.held && !options.createEnvVar) {
      const names = (await client.projectEnvVars(options.projectSlug)).map((v) => v.name);
      throw new NothingChangedError(
        `${options.envVar} is not set in ${result.target.where} (CircleCI has: ${names.join(", ") || "no variables"}): check --env-var, or pass --create-env-var to give CircleCI its first ${registry} token`,
      );
    }
    return result;
  } catch (error) {
    if (error instanceof CircleciError) throw new NothingChangedError(error.message);
    throw error;
  }
}

async function identifyOldToken(
  tokens: TokenSummary[],
  held: HeldValue | undefined,
  options: RunOptions,
  ask: Ask,
  registry: string,
): Promise<TokenSummary | undefined> {
  if (options.oldToken === "none") return undefined;
  if (options.oldToken) {
    const named = tokens.find((t) => t.name === (options.oldToken as { name: string }).name);
    if (!named) throw new NothingChangedError(`${registry} has no token named "${options.oldToken.name}": check --old-token against the token list`);
    return named;
  }
  // npm shows each token's last four characters, so the one CircleCI holds is certain.
  if (held?.last4 && tokens.some((t) => t.last4 !== undefined)) {
    const matching = tokens.filter((t) => t.last4 === held.last4);
    if (matching.length === 1) return matching[0];
  } else {
    // PyPI shows only names: the token this tool created last time for this variable.
    const [newest] = toolMadeTokens(tokens, options.envVar, options.projectSlug);
    if (newest) return newest;
  }
  if (!held) return undefined;
  const choice = await ask.select(
    `Which ${registry} token does CircleCI hold now (it ends in …${held.last4 ?? "????"})?`,
    [...tokens.map((t) => ({ name: t.name, value: t.id })), { name: "none of these: keep all existing tokens", value: "" }],
    "pass --old-token NAME (or --keep-old to delete none)",
  );
  return tokens.find((t) => t.id === choice);
}

async function chooseOrder(options: RunOptions, ask: Ask): Promise<Order> {
  if (options.order) return options.order;
  if (!ask.canPrompt) return "routine";
  const exposed = await ask.confirm("Was the old token exposed (leaked)?", false, "pass --leaked or --routine");
  return exposed ? "incident" : "routine";
}

interface PlanInput<S> {
  flow: RegistryFlow<S>;
  settings: S;
  options: RunOptions;
  order: Order;
  old: TokenSummary | undefined;
  orphans: TokenSummary[];
  newName: string;
  target: EnvVarTarget;
  ask: Ask;
  progress: Progress;
}

/** Shows what is about to change and asks before anything destructive. Returns whether to delete leftovers. */
async function confirmPlan<S>(plan: PlanInput<S>): Promise<boolean> {
  const { flow, options, old, orphans, progress } = plan;
  const create = `create ${flow.title} token "${plan.newName}" (${flow.describeScope(plan.settings)}), check it works, put it in ${plan.target.envVar} in ${plan.target.where}`;
  const remove = old ? `delete old token "${old.name}" and check it is gone` : "delete no old token (none identified)";
  const steps = plan.order === "incident" ? [remove, create] : [create, remove];
  progress.note(`Plan (${plan.order} order): ${steps.map((s, i) => `${i + 1}. ${s}`).join("; ")}`);
  if (orphans.length > 0) {
    progress.note(`Leftover tokens from earlier runs that CircleCI does not hold: ${orphans.map((o) => `"${o.name}"`).join(", ")}`);
  }
  if (options.yes) return options.deleteOrphans;
  const proceed = await plan.ask.confirm("Go ahead?", false, "pass --yes");
  if (!proceed) throw new NothingChangedError("stopped at your request before changing anything");
  if (orphans.length === 0 || options.deleteOrphans) return options.deleteOrphans;
  return plan.ask.confirm(`Also delete the ${orphans.length} leftover token(s) at the end?`, true, "pass --delete-orphans");
}

type StepRunner = <T>(label: string, work: () => Promise<T>, describe?: (value: T) => string | undefined) => Promise<T>;

async function createPushVerify<S>(
  flow: RegistryFlow<S>,
  ctx: FlowContext<S>,
  session: BrowserSession,
  circle: CircleciPreflight,
  journal: Journal,
  name: string,
  order: Order,
  deps: RunbookDeps,
  step: StepRunner,
): Promise<CreatedToken> {
  // From the moment the form is submitted the token may exist, even if reading it back fails.
  journal.new = { token: { id: "", name }, state: "requested" };
  const created = await step(`Create ${flow.title} token "${name}"`, () => flow.createToken(session.page, ctx, name), (t) => `…${t.value.last4}`);
  journal.new = { token: created.summary, state: "created", last4: created.value.last4, ...(created.expires ? { expires: created.expires } : {}) };
  journal.record("create", "ok", `${created.summary.name} …${created.value.last4}`);

  // Checked before CircleCI gets it: CircleCI never returns a value, so a broken token pushed
  // over the old one could not be taken back.
  await step("Check the new token works", async () => {
    const state = await flow.check(created.value, ctx);
    if (state !== "live") throw new Error(`${flow.title} does not accept the new token (its check says ${state})`);
  });
  journal.new.state = "live";
  journal.record("check-new", "ok");

  await step(`Put it in ${circle.target.envVar} in ${circle.target.where}`, () => pushWithRetryPrompt(circle.target, created.value, order, deps));
  journal.new.state = "pushed";
  journal.circleci.changed = true;
  journal.record("push", "ok");

  await step("Confirm CircleCI holds the new token", async () => {
    const confirmation = await confirmHolds(circle.target, created.value, circle.held);
    if (!confirmation.holds) {
      journal.circleci.mismatch = confirmation.shown;
      throw new Error(`CircleCI does not hold the new token: ${circle.target.envVar} shows ${confirmation.shown}, the new token ends …${created.value.last4}`);
    }
  }, () => `shows …${created.value.last4}`);
  journal.new.state = "verified";
  journal.circleci.now = created.value.last4;
  journal.record("verify-circleci", "ok", `…${created.value.last4}`);
  return created;
}

/**
 * Incident order has already killed the old token, so a failed push leaves CircleCI with a
 * dead one: offer to retry rather than throw the new token away.
 */
async function pushWithRetryPrompt(target: EnvVarTarget, value: Secret, order: Order, deps: Pick<RunbookDeps, "ask" | "progress">): Promise<void> {
  for (;;) {
    try {
      await target.write(value);
      return;
    } catch (error) {
      if (!(error instanceof CircleciError) || order !== "incident" || !deps.ask.canPrompt) throw error;
      deps.progress.note(error.message);
      const retry = await deps.ask.confirm("The old token is already dead and CircleCI does not have the new one. Retry the push?", true, "");
      if (!retry) throw error;
    }
  }
}

async function deleteAndVerifyOld<S>(
  flow: RegistryFlow<S>,
  ctx: FlowContext<S>,
  session: BrowserSession,
  journal: Journal,
  oldValue: Secret | undefined,
  step: StepRunner,
  progress: Progress,
  warnings: string[],
): Promise<void> {
  const old = journal.old.token;
  if (!old) {
    progress.skip("Delete the old token", "none identified");
    journal.record("delete-old", "skipped");
    return;
  }
  // The flow confirms the deletion from the page; the list is checked again below.
  await step(`Delete old token "${old.name}"`, () => flow.deleteToken(session.page, ctx, old));
  journal.old.state = "deleted";
  journal.record("delete-old", "ok", old.name);

  await step("Check the old token is gone", async () => {
    const remaining = await flow.listTokens(session.page, ctx);
    if (remaining.some((t) => t.id === old.id)) {
      journal.old.state = "alive";
      throw new Error(`${flow.title} still lists the old token "${old.name}" after deleting it`);
    }
    if (!oldValue) return "gone from the list (its value was not given, so it was not probed)";
    const state = await flow.check(oldValue, ctx);
    if (state === "dead") {
      journal.old.state = "dead";
      return `${flow.title} rejects it`;
    }
    const warning = `${flow.title} still answers "${state}" for the old token after deleting it; check again later`;
    warnings.push(warning);
    return warning;
  }, (detail) => detail);
  journal.record("verify-old", "ok", journal.old.state);
}

/**
 * Never leave a token CircleCI does not hold: delete it, or say which one to delete. Runs in a
 * second tab, since the first may still be stuck in the step that failed.
 */
async function cleanUp<S>(flow: RegistryFlow<S>, ctx: FlowContext<S>, session: BrowserSession, journal: Journal, progress: Progress): Promise<void> {
  const requested = journal.new.token;
  if (!requested || !journal.newTokenUnpushed) return;
  try {
    const existed = await progress.step(`Clean up: delete the new token "${requested.name}"`, async () => {
      const page = await session.newPage();
      // A create whose result was not seen: the list says whether it happened.
      const token = journal.new.state === "requested" ? (await flow.listTokens(page, ctx)).find((t) => t.name === requested.name) : requested;
      if (token) await flow.deleteToken(page, ctx, token);
      return token !== undefined;
    }, (found) => (found ? undefined : "it was never created"));
    journal.new.state = existed ? "removed" : "none";
    journal.record("clean-up", "ok", requested.name);
  } catch (error) {
    const why = describeError(session.explain(error));
    progress.note(`could not delete it: ${why}`);
    journal.record("clean-up", "failed", why);
  }
}
