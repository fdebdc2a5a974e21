// Small in-memory stand-ins for the runbook's collaborators, so the runbook's branches (every
// prompt and option) can be run in milliseconds without a browser, a replica or a network: a
// registry whose account keeps tokens in a list, a CircleCI that keeps variables in a map, a
// prompter that answers from a script, and streams that collect what was written.
import { PassThrough } from "node:stream";
import type { Page } from "playwright";
import type { Choice, InputOptions, Prompter } from "../../src/ask.js";
import { Ask } from "../../src/ask.js";
import type { BrowserSession } from "../../src/browser/launch.js";
import type { CircleciApi } from "../../src/circleci/targets.js";
import type { HeldValue } from "../../src/circleci/client.js";
import { credentialsFrom } from "../../src/settings/credentials.js";
import { CircleciError } from "../../src/errors.js";
import type { IO } from "../../src/io.js";
import { Progress } from "../../src/rotation/progress.js";
import type { ConfiguredRegistry } from "../../src/registry.js";
import type { CreatedToken, RegistryAccount, TokenState, TokenSummary } from "../../src/rotation/capability.js";
import type { RunbookDeps } from "../../src/rotation/runbook.js";
import { Secret } from "../../src/secrets/secret.js";
import { createSteps } from "../../src/rotation/steps.js";

/** What the fake registry holds: tokens by id, with their values. */
export class FakeRegistry {
  readonly tokens: Array<TokenSummary & { value: string }> = [];
  readonly deleted: string[] = [];
  /** What happened to tokens, in order: "create NAME", "delete NAME". */
  readonly ops: string[] = [];
  signIns = 0;
  private next = 1;

  constructor(
    /** A list that shows last fours (npm) or only names (PyPI). */
    readonly showsValues: boolean,
  ) {}

  issue(name: string): string {
    const value = `tok_${String(this.next).padStart(4, "0")}${"x".repeat(20)}${String(this.next++).padStart(4, "0")}`;
    this.tokens.push({
      id: `id-${value.slice(-4)}`,
      name,
      value,
      ...(this.showsValues ? { last4: value.slice(-4), shownPrefix: value.slice(0, 8) } : {}),
    });
    return value;
  }

  names(): string[] {
    return this.tokens.map((t) => t.name);
  }

  account(): RegistryAccount {
    const account: RegistryAccount = {
      checkScope: async () => undefined,
      listTokens: async () => this.tokens.map(({ value: _value, ...summary }) => summary),
      createToken: async (name): Promise<CreatedToken> => {
        const value = this.issue(name);
        this.ops.push(`create ${name}`);
        const summary = this.tokens.find((t) => t.value === value);
        if (!summary) throw new Error("lost the token just made");
        return { summary: { id: summary.id, name }, value: new Secret(value, "fake token", { showLast4: true }) };
      },
      deleteToken: async (token) => {
        const index = this.tokens.findIndex((t) => t.id === token.id);
        if (index < 0) throw new Error(`no token ${token.name}`);
        this.deleted.push(token.name);
        this.ops.push(`delete ${token.name}`);
        this.tokens.splice(index, 1);
      },
      forCleanUp: async () => account,
      signOut: async () => undefined,
    };
    return account;
  }

  configured(): ConfiguredRegistry {
    const state = (value: Secret): TokenState => (this.tokens.some((t) => t.value === value.reveal()) ? "live" : "dead");
    return {
      registry: { id: "fake", title: "Fake" } as ConfiguredRegistry["registry"],
      settings: { envVar: "FAKE_TOKEN" },
      flow: {
        origins: () => ["http://fake.invalid"],
        reachabilityUrls: () => [],
        describeScope: () => "publish to widget",
        publishes: () => ["widget"],
        advisories: () => [],
        signIn: async () => {
          this.signIns++;
          return this.account();
        },
        adopt: (account) => account,
        check: async (value) => state(value),
      },
    };
  }
}

/** CircleCI as a map of variables: `project/<slug>` and `context/<name>`, each name → value. */
export class FakeCircleci implements CircleciApi {
  readonly vars = new Map<string, Map<string, string>>();
  readonly writes: string[] = [];
  /** Destinations ("project/…" or "context/…") whose writes fail. */
  readonly refuse = new Set<string>();

  set(where: string, name: string, value: string): void {
    const vars = this.vars.get(where) ?? new Map<string, string>();
    vars.set(name, value);
    this.vars.set(where, vars);
  }

  get(where: string, name: string): string | undefined {
    return this.vars.get(where)?.get(name);
  }

  private held(where: string, name: string): HeldValue | undefined {
    const value = this.get(where, name);
    return value === undefined ? undefined : { last4: value.slice(-4) };
  }

  private write(where: string, name: string, value: Secret): void {
    if (this.refuse.has(where)) throw new CircleciError(`CircleCI refused setting ${name} in ${where} (403, permission denied)`, 403);
    this.writes.push(where);
    this.set(where, name, value.reveal());
  }

  me = async () => ({ id: "u", login: "fake-user", name: "Fake User" });
  project = async (slug: string) => ({ slug, name: slug, organization_id: "org", organization_slug: "gh/org" });
  projectEnvVars = async (slug: string) =>
    [...(this.vars.get(`project/${slug}`) ?? new Map<string, string>()).keys()].map((name) => ({
      name,
      ...this.held(`project/${slug}`, name),
    }));
  projectEnvVar = async (slug: string, name: string) => this.held(`project/${slug}`, name);
  setProjectEnvVar = async (slug: string, name: string, value: Secret) => this.write(`project/${slug}`, name, value);
  findContext = async (_org: string, name: string) => (this.vars.has(`context/${name}`) ? { id: name, name } : undefined);
  contextEnvVar = async (id: string, name: string) => this.held(`context/${id}`, name);
  setContextEnvVar = async (id: string, name: string, value: Secret) => this.write(`context/${id}`, name, value);
}

type Answer = string | boolean;

/** Answers prompts in order; each expected question is matched by a pattern, so a wrong question fails loudly. */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];

  constructor(private readonly script: Array<[RegExp, Answer]>) {}

  private answer(message: string): Answer {
    this.asked.push(message);
    const next = this.script.shift();
    if (!next) throw new Error(`unexpected question: ${message}`);
    const [pattern, answer] = next;
    if (!pattern.test(message)) throw new Error(`expected a question matching ${pattern}, got: ${message}`);
    return answer;
  }

  input = async (message: string, _options?: InputOptions) => String(this.answer(message));
  secret = async (message: string, label: string) => new Secret(String(this.answer(message)), label);
  confirm = async (message: string) => this.answer(message) === true;
  /** The choices of every select asked, in order, as the person saw them. */
  readonly menus: Array<Array<Choice<string>>> = [];

  /** An answer picks the choice with that name or value; a disabled one cannot be picked. */
  select = async <T extends string>(message: string, choices: Array<Choice<T>>) => {
    this.menus.push(choices);
    const wanted = String(this.answer(message));
    const choice = choices.find((c) => c.name === wanted || c.value === wanted);
    if (!choice) throw new Error(`no choice "${wanted}" among ${choices.map((c) => c.name).join(", ")}`);
    if (choice.disabled) throw new Error(`"${choice.name}" cannot be chosen: ${choice.disabled}`);
    return choice.value;
  };

  /** Every scripted answer was used. */
  get done(): boolean {
    return this.script.length === 0;
  }
}

export function fakeIO(canPrompt: boolean): IO & { text(): string; outText(): string } {
  let written = "";
  let out = "";
  return {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    canPrompt,
    color: false,
    prompting: false,
    quietKeys: () => undefined,
    out: (text) => {
      written += text;
      out += text;
    },
    err: (text) => void (written += text),
    showSecretOnce: () => undefined,
    text: () => written,
    /** What went to stdout alone (results, `--json`). */
    outText: () => out,
  };
}

const fakeBrowser = (): BrowserSession => ({
  page: {} as Page,
  lost: new AbortController().signal,
  newPage: async () => ({}) as Page,
  explain: (error) => error,
  close: async () => undefined,
});

export function runbookDeps(circleci: FakeCircleci, prompter: Prompter, io: IO & { text(): string }): RunbookDeps & { progress: Progress } {
  const ask = new Ask(io, prompter);
  const progress = new Progress(io);
  return {
    ask,
    progress,
    steps: createSteps(progress, { headed: false, stepTimeoutMs: 1000 }),
    credentials: credentialsFrom({
      id: "fake",
      title: "Fake",
      username: "fake-publisher",
      env: { ROTATE_FAKE_PASSWORD: "fake-password" },
      ask,
    }),
    circleci,
    findBrowser: () => ({ executablePath: "/nowhere", source: "explicit" }),
    launchBrowser: async () => fakeBrowser(),
    cautions: [],
    reachable: async () => undefined,
    sleep: async () => undefined,
    clock: () => new Date("2026-11-24T08:15:00Z"),
    signal: new AbortController().signal,
  };
}
