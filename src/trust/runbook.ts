// `rotate trust npm`, the runbook: preflight (CircleCI's ids, the packages) → sign in to npm →
// per package read / add / read back the trusted publisher → the CircleCI job's change → in a
// drill, prove it → when the responder says a trusted publish worked: disallow tokens on the
// packages, delete the npm token CircleCI held and the CircleCI variable. Nothing changes before
// every package has been read and the plan confirmed; every change enters the journal the moment
// it happens; the npm session ends whatever happens.
import type { Ask } from "../ask.js";
import { interruptible } from "../interruptible.js";
import type { TargetSpec } from "../circleci/targets.js";
import { CancelledError, NothingChangedError, RegistryError, RunFailed, UsageError } from "../errors.js";
import type { JournalEntry } from "../rotation/journal.js";
import { identifyOldToken } from "../rotation/old-token.js";
import type { Progress } from "../rotation/progress.js";
import { describeError, type Secret } from "../secrets/secret.js";
import { deleteVariable, findOnCircleci, type CircleciFindings, type TokenVariable, type TrustCircleciApi } from "./circleci.js";
import { TrustJournal } from "./journal.js";
import { proofLines, type ProofOutcome, type Prover } from "./proof.js";
import type { CircleciPublisher, KindedToken, StoredTrust, TrustAccount, TrustChoices, TrustSide, TrustTerms } from "./capability.js";
import { mayBeCheckoutOf, tokenUseLines } from "./checkout.js";

export type Existing = "keep" | "replace";

/** The request once what the job may do is settled. */
type Settled = TrustRequest & { actions: string[] };

/** What the responder asked for, from flags, environment and config (see commands/trust.ts). */
export interface TrustRequest {
  /** "rotate trust npm", for next-step messages. */
  command: string;
  targets: TargetSpec[];
  packages: string[];
  registryUrl: string;
  pipelineDefinition?: string;
  contextIds: string[];
  /** What the job may do, in the registry's action names; undefined: asked in a terminal, else the registry's default. */
  actions?: string[];
  /**
   * What a package already trusts: keep it (alongside ours where configurations add up; where a
   * package holds one, add nothing), or replace it. Undefined: kept alongside, or asked where one is the limit.
   */
  existing?: Existing;
  /** Retire the token at the end without asking whether a trusted publish worked. */
  removeToken: boolean;
  oldToken?: { name: string } | "none";
  oldTokenValue?: Secret;
  yes: boolean;
  dryRun: boolean;
}

export interface TrustDeps {
  ask: Ask;
  progress: Progress;
  circleci: TrustCircleciApi;
  /** The registry's end: its name, its words for trusted publishers, what a job may be allowed, its preflight and sign-in. */
  registry: { title: string; terms: TrustTerms; side: TrustSide } & Pick<TrustChoices, "allow" | "defaultAllow">;
  /** The working directory: inside the project's checkout, rotate points at the lines to change. */
  cwd: string;
  /** Drills only: proves the configuration with tokens minted as a job would get them. */
  prove?: Prover;
  clock: () => Date;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  onEntry?: (entry: JournalEntry, journal: TrustJournal) => void;
}

export interface TrustIds {
  projectSlug: string;
  projectId: string;
  organizationId: string;
  vcsOrigin: string;
  pipelineDefinition: { id: string; name: string; configFile?: string };
  contexts: Array<{ id: string; name: string }>;
  actions: string[];
}

export interface TrustResult {
  kind: "trusted";
  journal: TrustJournal;
  circleciUser: string;
  ids: TrustIds;
  jobChange: string[];
  proof?: ProofOutcome;
  retired: boolean;
  warnings: string[];
}

export interface TrustDryRun {
  kind: "dry-run";
  ids: TrustIds;
  plan: string[];
}

type Decision = "add" | "already" | "keep" | "replace";

function idsOf(found: CircleciFindings, actions: string[]): TrustIds {
  const { identity, definition } = found;
  return {
    projectSlug: identity.slug,
    projectId: identity.projectId,
    organizationId: identity.organizationId,
    vcsOrigin: identity.vcsOrigin,
    pipelineDefinition: {
      id: definition.id,
      name: definition.name,
      ...(definition.configFile ? { configFile: definition.configFile } : {}),
    },
    contexts: found.contexts.map(({ id, name }) => ({ id, name })),
    actions,
  };
}

export function idLines(ids: TrustIds, registry: { title: string; terms: TrustTerms }): string[] {
  const contexts = ids.contexts.length > 0 ? ids.contexts.map((c) => `"${c.name}" ${c.id}`).join(", ") : "none required";
  return [
    `CircleCI ids ${registry.title} will match (from CircleCI's API):`,
    `  project              ${ids.projectSlug}  ${ids.projectId}`,
    `  organization         ${ids.organizationId}`,
    `  VCS origin           ${ids.vcsOrigin}`,
    `  pipeline definition  "${ids.pipelineDefinition.name}"  ${ids.pipelineDefinition.id}${ids.pipelineDefinition.configFile ? `  (${ids.pipelineDefinition.configFile})` : ""}`,
    `  contexts             ${contexts}`,
    `  allows               ${registry.terms.actionsText(ids.actions)}`,
  ];
}

/** In words, for the journal and the note: `CircleCI project gh/acme/widget, pipeline "release"`. */
function publisherText(ids: TrustIds): string {
  const contexts =
    ids.contexts.length > 0
      ? ` with context${ids.contexts.length > 1 ? "s" : ""} ${ids.contexts.map((c) => `"${c.name}"`).join(", ")}`
      : "";
  return `CircleCI project ${ids.projectSlug}, pipeline "${ids.pipelineDefinition.name}"${contexts}`;
}

/** Where a package holds one configuration and trusts someone else: keep that, or replace it (delete, then add). */
async function decideExisting(
  pkg: string,
  configs: StoredTrust[],
  preset: Existing | undefined,
  publisher: string,
  deps: TrustDeps,
): Promise<Existing> {
  const { title, terms } = deps.registry;
  deps.progress.note(`${pkg} already trusts ${configs.map(terms.describe).join("; ")}. ${title} allows one trusted publisher per package.`);
  if (preset) return preset;
  return deps.ask.select(
    `What should ${pkg} trust?`,
    [
      { name: `keep what it trusts now (CircleCI cannot publish ${pkg} through trusted publishing then)`, value: "keep" },
      { name: `replace it with ${publisher} (delete the one it has, then add)`, value: "replace" },
    ] as const,
    `${pkg} already trusts another publisher: pass --existing keep or --existing replace`,
  );
}

function planLines(decisions: Map<string, Decision>, existing: Map<string, StoredTrust[]>, ids: TrustIds, retire: string): string[] {
  const publisher = publisherText(ids);
  const steps = [...decisions].map(([pkg, decision]) => {
    const others = existing.get(pkg)?.length ?? 0;
    switch (decision) {
      case "add":
        return others > 0
          ? `${pkg}: add the trusted publisher ${publisher} alongside the ${others} it has (kept), then read it back`
          : `${pkg}: add the trusted publisher ${publisher}, then read it back`;
      case "already":
        return `${pkg}: already trusts ${publisher}; nothing to add`;
      case "keep":
        return `${pkg}: keep the publisher it trusts; add nothing`;
      case "replace":
        return `${pkg}: delete the ${others === 1 ? "publisher" : `${others} publishers`} it trusts, add ${publisher}, then read it back`;
    }
  });
  return ["Plan:", ...[...steps, "show the change the CircleCI publish job needs", retire].map((s, i) => `  ${i + 1}. ${s}`)];
}

/** The token each CircleCI variable holds, matched as `rotate <registry>` matches it. */
async function identifyHeldTokens(
  variables: TokenVariable[],
  tokens: KindedToken[],
  request: TrustRequest,
  registry: string,
  ask: Ask,
  note: (text: string) => void,
): Promise<KindedToken[]> {
  const found = new Map<string, KindedToken>();
  for (const variable of variables.filter((v) => v.held)) {
    const held = variable.held;
    const value = request.oldTokenValue;
    // The value given belongs to this variable only if CircleCI's last four (when shown) agree.
    const fits = value && (held?.last4 === undefined || held.last4 === value.last4) ? value : undefined;
    const { token, leftForHuman } = await identifyOldToken({
      tokens,
      held,
      namePrefix: `${variable.envVar} ${variable.target} `,
      publishes: request.packages,
      ...(request.oldToken ? { named: request.oldToken } : {}),
      ...(fits ? { value: fits } : {}),
      order: "routine",
      registry,
      ask,
    });
    if (leftForHuman) note(leftForHuman);
    const listed = token && tokens.find((t) => t.id === token.id);
    if (listed) found.set(listed.id, listed);
  }
  return [...found.values()];
}

type Step = <T>(label: string, work: () => Promise<T>, describe?: (value: T) => string | undefined) => Promise<T>;

/** One run's state after preflight: what CircleCI said, the publisher to add, the journal of changes. */
class TrustRun {
  readonly publisher: CircleciPublisher;
  readonly decisions = new Map<string, Decision>();
  /** What each package trusts besides this job's configuration. */
  readonly existing = new Map<string, StoredTrust[]>();

  constructor(
    readonly request: Settled,
    readonly deps: TrustDeps,
    readonly found: CircleciFindings,
    readonly ids: TrustIds,
    readonly journal: TrustJournal,
    readonly step: Step,
  ) {
    this.publisher = {
      orgId: ids.organizationId,
      projectId: ids.projectId,
      pipelineDefinitionId: ids.pipelineDefinition.id,
      vcsOrigin: ids.vcsOrigin,
      contextIds: ids.contexts.map((c) => c.id),
      actions: request.actions,
    };
  }

  get kept(): string[] {
    return [...this.decisions].filter(([, d]) => d === "keep").map(([pkg]) => pkg);
  }

  /** The variables that hold a token now. */
  get held(): TokenVariable[] {
    return this.found.variables.filter((v) => v.held);
  }

  /** CircleCI may still need the token for a package that keeps another publisher. */
  get canRetire(): boolean {
    return this.kept.length === 0 && this.held.length > 0;
  }

  /** Configurations of this very job (the same ids, whatever they allow). */
  private sameJob(configs: StoredTrust[]): StoredTrust[] {
    const { publisherOf } = this.deps.registry.terms;
    return configs.filter((config) => {
      const theirs = publisherOf(config);
      return theirs !== undefined && sameIds(theirs, this.publisher);
    });
  }

  /**
   * Every package read before any change. Its configuration for this job already there: nothing
   * to do. Where configurations add up, ours goes alongside the others (replaced only on request),
   * up to the registry's limit; where a package holds one, one that trusts someone else is a question.
   */
  async readAll(account: TrustAccount): Promise<void> {
    const { title, terms } = this.deps.registry;
    const several = terms.configurationsPerPackage > 1;
    for (const pkg of this.request.packages) {
      const configs = await this.step(
        `Read the trusted publishers of ${pkg}`,
        () => account.list(pkg),
        (c) => (c.length === 0 ? "none" : c.map(terms.describe).join("; ")),
      );
      const mine = this.sameJob(configs);
      const exact = mine.some((config) => terms.differences(config, this.publisher).length === 0);
      const already = exact || (mine.length > 0 && this.request.existing !== "replace");
      const others = configs.filter((c) => !mine.includes(c));
      // Ours with other actions: a configuration cannot be changed, only deleted and added again.
      if (already && !exact) {
        this.deps.progress.note(
          `${pkg} already trusts ${publisherText(this.ids)}, for ${mine.map((c) => terms.actionsText(c.permissions)).join("; ")}, not ${terms.actionsText(this.publisher.actions)}: ${title} cannot change a configuration; pass --existing replace to delete and add it again`,
        );
      }
      this.existing.set(pkg, already ? others : configs);
      this.journal.advance({
        step: "read",
        pkg,
        trusts: (already ? others : configs).map(terms.describe).join("; ") || undefined,
        ours: already,
      });
      if (already) this.decisions.set(pkg, "already");
      else if (configs.length === 0) this.decisions.set(pkg, "add");
      else if (several && this.request.existing === "replace") this.decisions.set(pkg, "replace");
      else if (several) {
        if (configs.length >= terms.configurationsPerPackage) {
          throw new NothingChangedError(
            `${pkg} already has ${configs.length} trusted publishers, ${title}'s limit: delete one on ${title}'s website (the package's settings), or pass --existing replace to replace them with ${publisherText(this.ids)}`,
          );
        }
        this.decisions.set(pkg, "add");
      }
    }
    for (const [pkg, configs] of this.existing) {
      if (!this.decisions.has(pkg))
        this.decisions.set(pkg, await decideExisting(pkg, configs, this.request.existing, publisherText(this.ids), this.deps));
    }
  }

  /** (Delete what it trusts) → add → read back, field by field. */
  async configure(account: TrustAccount, pkg: string, decision: Decision): Promise<void> {
    const { journal, step, publisher } = this;
    if (decision === "already") return;
    if (decision === "keep") return journal.advance({ step: "kept", pkg });
    const before = new Set((this.existing.get(pkg) ?? []).map((c) => c.id));
    if (decision === "replace") {
      for (const config of this.existing.get(pkg) ?? []) {
        await step(`Delete the trusted publisher ${pkg} has (${config.type})`, () => account.remove(pkg, config.id));
        journal.advance({ step: "removed", pkg });
        before.delete(config.id);
      }
    }
    journal.advance({ step: "add-requested", pkg });
    const answered = await step(`Add the trusted publisher of ${pkg}`, () => account.add(pkg, publisher)).catch((error: unknown) => {
      // A refusal is an answer: nothing was added. Anything else (no answer) leaves it unknown.
      if (error instanceof RegistryError) journal.advance({ step: "add-refused", pkg, why: error.message });
      throw error;
    });
    journal.advance({ step: "added", pkg });
    await step(
      `Read back the trusted publisher of ${pkg}`,
      async () => {
        const { title, terms } = this.deps.registry;
        const now = await account.list(pkg);
        // The one this add made: the id the answer named, else the one configuration that is new.
        const fresh = now.filter((c) => !before.has(c.id));
        const added = fresh.find((c) => answered.some((a) => a.id === c.id)) ?? (fresh.length === 1 ? fresh[0] : undefined);
        const mismatch = added
          ? terms.differences(added, publisher)
          : [
              `${title} holds ${now.length} configurations, none of them the one just added: ${now.map(terms.describe).join("; ") || "none"}`,
            ];
        if (mismatch.length === 0) return;
        journal.advance({ step: "mismatch", pkg, why: mismatch.join("; ") });
        throw new RegistryError(`${title} holds a different trusted publisher for ${pkg} than rotate sent: ${mismatch.join("; ")}`);
      },
      () => "every field as sent",
    );
    journal.advance({ step: "verified", pkg });
  }

  /** The publish job's change; inside the project's checkout, the lines that still use the token. */
  jobChange(): string[] {
    const { ids, journal, deps } = this;
    const { terms } = deps.registry;
    const configFile = ids.pipelineDefinition.configFile ?? ".circleci/config.yml";
    return [
      ...terms.jobChange({
        registryUrl: this.request.registryUrl,
        actions: this.publisher.actions,
        contexts: this.found.contexts,
        configFile,
        envVar: journal.envVar,
      }),
      ...(mayBeCheckoutOf(deps.cwd, ids.vcsOrigin)
        ? tokenUseLines(terms.tokenUses(deps.cwd, configFile, journal.envVar), journal.envVar)
        : [
            `  This directory is a checkout of another repository: run rotate there from a checkout of ${ids.vcsOrigin} to see the lines that use ${journal.envVar}.`,
          ]),
    ];
  }

  /** A drill's proof, with id tokens minted as jobs would get them; one that fails stops the run. */
  async prove(prove: Prover): Promise<ProofOutcome> {
    const { ids, journal } = this;
    const packages = this.request.packages.filter((p) => !this.kept.includes(p));
    const proof = await this.step(
      "Prove it: exchange id tokens minted as CircleCI jobs would get them",
      () =>
        prove(
          {
            registryUrl: this.request.registryUrl,
            packages,
            projectSlug: ids.projectSlug,
            pipelineDefinitionId: ids.pipelineDefinition.id,
            contextIds: this.publisher.contextIds,
          },
          this.deps.signal,
        ),
      (p) => (p.ok ? "as configured" : "NOT as configured"),
    );
    for (const line of proofLines(proof)) this.deps.progress.note(line);
    journal.advance({ step: "proof", ok: proof.ok, detail: proofLines(proof).join(" | ") });
    if (!proof.ok) throw new NothingChangedError(`the proof failed: ${proofLines(proof).join("; ")}`);
    return proof;
  }

  /** The tokens the variables hold, from the account's list. */
  async heldTokens(account: TrustAccount): Promise<KindedToken[]> {
    const { title } = this.deps.registry;
    const tokens = await this.step(
      `List ${title} tokens`,
      () => account.tokens(),
      (t) => `${t.length} token(s)`,
    );
    return identifyHeldTokens(this.found.variables, tokens, this.request, title, this.deps.ask, (text) => this.deps.progress.note(text));
  }

  /** npm's migration order: disallow tokens on the packages, revoke the token, then CircleCI's variable. */
  async retire(account: TrustAccount, tokens: KindedToken[]): Promise<void> {
    const { journal, step, request } = this;
    for (const pkg of request.packages) {
      await step(`Require 2FA and disallow tokens on ${pkg}`, () => account.disallowTokens(pkg));
      journal.advance({ step: "tokens-disallowed", pkg });
    }
    for (const token of tokens) journal.advance({ step: "token-identified", name: token.name });
    for (const token of tokens) {
      const value = request.oldTokenValue?.last4 === token.last4 ? request.oldTokenValue : undefined;
      await step(`Delete ${this.deps.registry.title} token "${token.name}"`, () => account.deleteToken(token, value));
      journal.advance({ step: "token-deleted", name: token.name });
    }
    for (const [index, variable] of this.found.variables.entries()) {
      if (!variable.held) continue;
      const existed = await step(
        `Delete ${variable.envVar} from ${variable.where}`,
        () => deleteVariable(this.deps.circleci, variable),
        (gone) => (gone ? undefined : "it was already gone"),
      );
      journal.advance({ step: "variable-deleted", index, existed });
    }
  }

  retireLine(doomed: KindedToken[]): string {
    const { journal } = this;
    if (!this.canRetire) {
      const kept = this.kept;
      return `retire nothing: ${kept.length > 0 ? `${kept.join(", ")} keep${kept.length === 1 ? "s" : ""} another publisher, so CircleCI may still need ${journal.envVar}` : `${journal.envVar} is not set in ${journal.where}`}`;
    }
    if (!this.request.removeToken)
      return `then ask whether to retire ${journal.envVar} (say yes only once a publish through trusted publishing has worked)`;
    const { title } = this.deps.registry;
    const tokens =
      doomed.length > 0 ? doomed.map((t) => `${title} token "${t.name}" (${t.kind})`).join(", ") : `no ${title} token (none identified)`;
    return `retire ${journal.envVar}: require 2FA and disallow tokens on ${this.request.packages.join(", ")}; delete ${tokens}; delete ${this.held.map((v) => `${v.envVar} in ${v.where}`).join(", ")}`;
  }
}

export async function trustPublishing(request: TrustRequest, deps: TrustDeps): Promise<TrustResult | TrustDryRun> {
  const { progress, ask } = deps;
  if (!request.yes && !request.dryRun && !ask.canPrompt) {
    throw new UsageError(
      `${request.command} changes ${deps.registry.title}'s package settings, so a run without a terminal needs --yes to confirm it`,
    );
  }
  const stop = [deps.signal];
  const step: Step = (label, work, describe) => progress.step(label, () => interruptible(work(), stop), describe);

  // 1. Preflight: nothing changes before all of this has passed.
  const found = await step(
    "Preflight CircleCI: token, project ids, pipeline definition, variables",
    () =>
      findOnCircleci(
        deps.circleci,
        {
          targets: request.targets,
          contextIds: request.contextIds,
          ...(request.pipelineDefinition ? { pipelineDefinition: request.pipelineDefinition } : {}),
        },
        ask,
      ),
    (f) => `${f.user.login} · ${f.identity.slug} · pipeline "${f.definition.name}"`,
  );
  const { title, side } = deps.registry;
  await step(
    `Preflight ${title}: packages, maintainers, browser`,
    () => side.preflight(request.packages),
    (detail) => detail,
  );
  const settled = { ...request, actions: request.actions ?? (await allowedActions(deps)) };
  const ids = idsOf(found, settled.actions);
  const journal = new TrustJournal(
    publisherText(ids),
    request.packages.map((name) => ({ name, state: "unchanged", tokensDisallowed: false })),
    found.variables.map((v) => ({
      envVar: v.envVar,
      target: v.target,
      where: v.where,
      state: v.held ? "set" : "not-set",
      ...(v.held?.last4 ? { before: v.held.last4 } : {}),
    })),
    request.command,
    deps.clock,
    deps.onEntry,
  );
  journal.advance({
    step: "preflight",
    detail: `CircleCI user ${found.user.login}; ${publisherText(ids)}; project ${ids.projectId}, pipeline definition ${ids.pipelineDefinition.id}`,
  });
  for (const line of idLines(ids, deps.registry)) progress.note(line);
  const run = new TrustRun(settled, deps, found, ids, journal, step);

  // 2. Sign in, in a browser that shares nothing with the responder's own.
  const session = await step(`Sign in to ${title}`, () => side.signIn());
  stop.push(session.lost);
  try {
    journal.advance({ step: "sign-in" });
    const { account } = session;

    // 3. Read every package, and (with --remove-token) the token to delete, then the plan.
    await run.readAll(account);
    const doomed = request.removeToken && run.canRetire ? await run.heldTokens(account) : [];
    const plan = planLines(run.decisions, run.existing, ids, run.retireLine(doomed));
    for (const line of plan) progress.note(line);
    if (request.dryRun) return { kind: "dry-run", ids, plan };
    if (!request.yes && !(await ask.confirm("Go ahead?", false, "pass --yes"))) throw new CancelledError();
    journal.advance({ step: "plan", detail: [...run.decisions].map(([pkg, d]) => `${pkg}: ${d}`).join("; ") });

    // 4. Each package trusts the project and pipeline, read back field by field.
    for (const [pkg, decision] of run.decisions) await run.configure(account, pkg, decision);

    // 5. The CircleCI side, which only a commit to the project can change.
    const change = run.jobChange();
    for (const line of change) progress.note(line);

    // 6. A drill proves the configuration as a CircleCI job and npm's CLI would use it.
    const proof = deps.prove ? await run.prove(deps.prove) : undefined;

    // 7. Retire the token, only once a trusted publish worked (the responder says so).
    const warnings = found.shadowed.map(
      (shadow) =>
        `${shadow.envVar} is also set in ${shadow.where} (…${shadow.held?.last4 ?? "????"}), which jobs without the context still use: retire it too with --target ${shadow.projectSlug}`,
    );
    const retire = await retireNow(request, run.canRetire, run.kept, journal, { title, ask });
    if (retire) await run.retire(account, request.removeToken ? doomed : await run.heldTokens(account));

    journal.advance({ step: "done", detail: `${publisherText(ids)}; ${journal.envVar} ${retire ? "retired" : "kept"}` });
    return {
      kind: "trusted",
      journal,
      circleciUser: found.user.login,
      ids,
      jobChange: change,
      ...(proof ? { proof } : {}),
      retired: retire,
      warnings,
    };
  } catch (error) {
    const cause = session.explain(error);
    journal.advance({ step: "failure", why: describeError(cause) });
    throw new RunFailed(describeError(cause), cause, journal);
  } finally {
    await session.close().catch(() => undefined);
  }
}

/** --remove-token, or "yes" to a question that says a trusted publish must have worked first. */
async function retireNow(
  request: TrustRequest,
  canRetire: boolean,
  kept: string[],
  journal: TrustJournal,
  { title, ask }: { title: string; ask: Ask },
): Promise<boolean> {
  if (!canRetire) {
    const why =
      kept.length > 0
        ? `${kept.join(", ")} still trust${kept.length === 1 ? "s" : ""} another publisher`
        : `${journal.envVar} is not set in ${journal.where}`;
    journal.advance({ step: "retire-skipped", why });
    return false;
  }
  if (request.removeToken) return true;
  const question = `Retire ${journal.envVar} now (delete it from ${journal.where}, delete its ${title} token, require 2FA and disallow tokens on ${request.packages.join(", ")})? Say yes only if a publish through trusted publishing has already worked from CircleCI.`;
  const yes = ask.canPrompt && (await ask.confirm(question, false, ""));
  if (!yes) journal.advance({ step: "retire-skipped", why: "a trusted publish has not been confirmed" });
  return yes;
}

/** The same job: organization, project, pipeline definition, VCS origin and contexts; what it may do aside. */
function sameIds(a: CircleciPublisher, b: CircleciPublisher): boolean {
  const contexts = (p: CircleciPublisher) => JSON.stringify([...p.contextIds].sort());
  return (
    a.orgId === b.orgId &&
    a.projectId === b.projectId &&
    a.pipelineDefinitionId === b.pipelineDefinitionId &&
    a.vcsOrigin === b.vcsOrigin &&
    contexts(a) === contexts(b)
  );
}

/**
 * What the job may do, when no flag said: asked in a terminal, each choice with what it means for
 * the CircleCI job; otherwise the registry's own default for a new configuration, said aloud.
 */
async function allowedActions({ ask, progress, registry }: TrustDeps): Promise<string[]> {
  const { allow, defaultAllow, title } = registry;
  const fallback = allow[defaultAllow];
  if (!fallback) throw new Error(`${title} has no --allow choice "${defaultAllow}"`);
  if (!ask.canPrompt) {
    progress.note(`The CircleCI job may run ${fallback.says}: ${fallback.means} (${title}'s default; --allow says otherwise).`);
    return fallback.actions;
  }
  const ordered = [defaultAllow, ...Object.keys(allow).filter((choice) => choice !== defaultAllow)];
  const choice = await ask.select(
    "What may the CircleCI job do through trusted publishing?",
    ordered.map((value) => ({ name: `${allow[value]?.says ?? value}: ${allow[value]?.means ?? ""}`, value })),
    `pass --allow ${Object.keys(allow).join("|")}`,
  );
  return allow[choice]?.actions ?? fallback.actions;
}
