// What `rotate <registry>` and `rotate trust` both set up before their runbook starts: a drill when
// asked for, the settings and the CircleCI destinations (whatever is missing named all at once, or
// asked for in a terminal), the addresses confirmed, the credentials (a password piped in on stdin
// too), the CircleCI client, the browser and the audit record.
import { Ask } from "../ask.js";
import { AuditLog, type AuditRun } from "../audit.js";
import { hasDisplay } from "../browser/display.js";
import { runBrowser, type RunBrowser } from "../browser/run-browser.js";
import type { CircleciApi, TargetSpec } from "../circleci/targets.js";
import { openDrill, type Drill } from "../drill/open.js";
import { MissingSettingsError, addressesOf, loadSources, parseAnswer, type Address, type Sources } from "../settings/config.js";
import { browserSection, circleciSection, flagAttribute, type SettingsSection } from "../settings/declarations.js";
import { UsageError } from "../errors.js";
import type { IO } from "../io.js";
import type { Registry } from "../registry.js";
import type { Credentials } from "../rotation/capability.js";
import { Progress } from "../rotation/progress.js";
import { createSteps, type Steps } from "../rotation/steps.js";
import type { Runtime } from "../runtime.js";
import { credentialsFrom } from "../settings/credentials.js";
import { confirmUrls } from "../settings/official-urls.js";
import { browserSettings, circleciSettings, destinationsFor, type BrowserSettings } from "../settings/run-settings.js";
import { Secret } from "../secrets/secret.js";
import type { TrustCircleciApi } from "../trust/circleci.js";

/** The flags every command that signs in to a registry shares. */
export interface RunFlags {
  sandbox?: boolean;
  input?: boolean;
  json?: boolean;
  trustUrls?: boolean;
  passwordStdin?: boolean;
  otp?: string;
  config?: string;
  [setting: string]: unknown;
}

/** A registry's settings as a command has them validated, with what it binds to them. */
export interface Configured {
  settings: { envVar: string; username?: string; addresses?: Address[] };
}

export interface RunPreparation<Settings extends Configured, Request> {
  registry: Registry;
  /** The registry's section as this command reads it (all of it, or the part trusted publishing uses). */
  section: SettingsSection;
  flags: RunFlags;
  /** A drill the caller already opened (the demo's); otherwise `--sandbox` opens one. */
  drill?: Drill;
  /** The sources as this command reads them (`rotate trust --only NAME`: one rotation of a fleet). */
  narrow?: (sources: Sources) => Sources;
  configure: (sources: Sources) => Promise<Settings>;
  /** The settings name their own CircleCI destinations (a fleet's rotations): none come from --target or --project-slug. */
  ownDestinations?: boolean;
  /** Flags → what the responder asked for; checked before anything is asked or sent. */
  request: (settings: Settings, targets: TargetSpec[], sources: Sources) => Request;
}

/** What a run needs, ready: its collaborators built from the runtime, its browser among them. */
export interface PreparedRun<Settings extends Configured, Request> extends RunBrowser {
  drill: Drill | undefined;
  /** The project's rotate.config.json, when the run read one. */
  configFile: string | undefined;
  settings: Settings;
  request: Request;
  ask: Ask;
  progress: Progress;
  steps: Steps;
  credentials: Credentials;
  circleci: CircleciApi & TrustCircleciApi;
  browser: BrowserSettings;
  /** Every address credentials go to, with where it came from: named in the plan and in --json. */
  addresses: Address[];
  /** Appends to the audit record; drills stay out of it. */
  audit: AuditRun | undefined;
}

/**
 * A drill's addresses always win, so nothing a drill sends leaves this machine; what to rotate or
 * trust (packages, projects, destinations) a flag may narrow, as on a real run.
 */
export function drillFlags(drill: Drill, id: string, flags: Record<string, unknown>): Record<string, unknown> {
  const world = drill.flags(id);
  const addresses = Object.fromEntries(Object.entries(world).filter(([key]) => key.endsWith("Url")));
  return { ...world, ...flags, ...addresses };
}

/** A drill needs no human at the window: without a display it runs headless, and says so once. */
export function drillBrowser(browser: BrowserSettings, drill: Drill | undefined, runtime: Pick<Runtime, "env" | "io">): BrowserSettings {
  if (!drill || browser.headless || hasDisplay(runtime.env)) return browser;
  runtime.io.err("No display here: the drill's browser runs headless.\n");
  return { ...browser, headless: true };
}

/** Sets up the run, hands it to `work`, and closes a drill it opened. */
export async function withPreparedRun<Settings extends Configured, Request>(
  runtime: Runtime,
  preparation: RunPreparation<Settings, Request>,
  work: (run: PreparedRun<Settings, Request>) => Promise<number>,
): Promise<number> {
  const { io } = runtime;
  const { registry, flags } = preparation;
  // The replicas load only for drills: a real run never pays for them.
  const ownDrill = flags.sandbox && !preparation.drill ? await openDrill(runtime, flags) : undefined;
  const drill = preparation.drill ?? ownDrill;
  try {
    // A drill in a terminal rehearses the real thing: password and codes are asked for.
    const rehearsal = Boolean(drill && io.canPrompt && flags.input !== false);
    if (drill && rehearsal) for (const line of drill.instructions(registry.id)) io.err(`${line}\n`);
    const loaded = loadSources({
      flags: drill ? drillFlags(drill, registry.id, flags) : flags,
      // A drill takes no real credential from the environment (openDrill said so).
      env: drill ? drill.env(registry.id, rehearsal) : runtime.env,
      cwd: runtime.cwd,
      fileSections: [circleciSection, browserSection, ...runtime.registries.map((r) => r.section)],
    });
    const sources = preparation.narrow ? preparation.narrow(loaded) : loaded;
    const ask = new Ask(io, runtime.prompter);
    const progress = new Progress(io);
    const { settings, targets } = await settingsOrAsk(
      preparation.configure,
      registry.defaultEnvVar,
      sources,
      ask,
      preparation.ownDestinations,
    );
    const browser = drillBrowser(browserSettings(sources), drill, runtime);
    const request = preparation.request(settings, targets, sources);
    // Every address credentials go to, and where it came from; the drill world's are rotate's own
    // replicas, any other that is not official is confirmed.
    const addresses = [...addressesOf([circleciSection, preparation.section], sources), ...(settings.settings.addresses ?? [])];
    if (!drill) await confirmUrls(addresses, { trustUrls: Boolean(flags.trustUrls), ask, note: (text) => progress.note(text) });
    // A drill takes no real credential (openDrill said so).
    const password = flags.passwordStdin && !drill ? await passwordFromStdin(io, registry.title) : undefined;
    const { username } = settings.settings;
    const credentials = credentialsFrom({
      id: registry.id,
      title: registry.title,
      ...(username ? { username } : {}),
      env: sources.env,
      ask,
      ...(password ? { password } : {}),
      ...(flags.otp && !drill ? { firstOtp: new Secret(flags.otp, `${registry.title} one-time code`) } : {}),
    });
    const circleci = runtime.circleci({
      baseUrl: circleciSettings(sources).url,
      token: await circleciToken(sources.env, ask),
      onRetry: ({ reason, waitMs }) => progress.note(`CircleCI ${reason}; trying again in ${(waitMs / 1000).toFixed(1)}s`),
    });
    return await work({
      drill,
      configFile: sources.filePath,
      settings,
      request,
      ask,
      progress,
      steps: createSteps(progress, { headed: !browser.headless, stepTimeoutMs: browser.stepTimeout * 1000 }),
      credentials,
      circleci,
      browser,
      addresses,
      ...runBrowser(runtime, browser),
      // Drills on the replicas stay out of the audit record of real changes.
      audit: drill ? undefined : AuditLog.startRun(runtime.env),
    });
  } finally {
    await ownDrill?.close();
  }
}

function missingOnly(error: unknown): MissingSettingsError {
  if (error instanceof MissingSettingsError) return error;
  throw error;
}

/**
 * The registry's settings (through `settingsOf`) and the CircleCI destinations of its variable.
 * Whatever is missing is named all at once before anything starts; in a terminal each missing
 * setting is asked for (and checked) instead.
 */
export async function settingsOrAsk<T extends Configured>(
  settingsOf: (sources: Sources) => Promise<T>,
  defaultEnvVar: string,
  sources: Sources,
  ask: Ask,
  ownDestinations = false,
): Promise<{ settings: T; targets: TargetSpec[] }> {
  for (;;) {
    const settings = await settingsOf(sources).catch(missingOnly);
    const envVar = settings instanceof MissingSettingsError ? defaultEnvVar : settings.settings.envVar;
    const targets = ownDestinations
      ? []
      : await Promise.resolve()
          .then(() => destinationsFor(circleciSettings(sources), envVar))
          .catch(missingOnly);
    if (!(settings instanceof MissingSettingsError) && !(targets instanceof MissingSettingsError)) return { settings, targets };
    const missing = [settings, targets]
      .filter((x): x is MissingSettingsError => x instanceof MissingSettingsError)
      .reduce((all, next) => all.and(next));
    if (!ask.canPrompt) throw missing;
    for (const { section, key } of missing.missing) {
      const spec = section.settings[key];
      if (!spec) throw missing;
      const answer = await ask.text(`${spec.describe}:`, "", {
        validate: (text) => {
          const parsed = parseAnswer(spec, text);
          return parsed.ok || parsed.why;
        },
      });
      const parsed = parseAnswer(spec, answer);
      if (parsed.ok) sources.flags[flagAttribute(spec.flag)] = parsed.value;
    }
  }
}

export async function circleciToken(env: NodeJS.ProcessEnv, ask: Ask): Promise<Secret> {
  if (env.CIRCLECI_TOKEN) return new Secret(env.CIRCLECI_TOKEN, "CircleCI token");
  // Where a responder makes one: CircleCI's User Settings → Personal API Tokens.
  return ask.secret(
    "CircleCI personal API token (make one at https://app.circleci.com/settings/user/tokens):",
    "CircleCI token",
    "set CIRCLECI_TOKEN in the environment (a personal API token from https://app.circleci.com/settings/user/tokens)",
  );
}

/** The password from stdin, trailing newline trimmed (as `docker login --password-stdin`). */
export async function passwordFromStdin(io: IO, title: string): Promise<Secret> {
  if (io.stdin.isTTY)
    throw new UsageError("--password-stdin reads a pipe, not a terminal: pipe the password in, or leave the flag out to be asked");
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const text = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (!text) throw new UsageError("--password-stdin: stdin was empty");
  return new Secret(text, `${title} password`);
}
