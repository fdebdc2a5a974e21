// `rotate status --trust`: what trusted publishing looks like now. It signs in to each registry
// that accepts CircleCI's trusted publishers (the trust API wants a session and a one-time code
// even to read), so status does it only when asked. Per package: the trusted publisher, if any,
// named by project slug and pipeline when it is this project's; per variable in CircleCI: the kind
// of token it holds, and why that kind stops working soon where it does (npm's January 2027).
import { Ask } from "../ask.js";
import type { CircleciApi } from "../circleci/targets.js";
import type { CircleciPipelineDefinition, ProjectIdentity } from "../circleci/client.js";
import { runBrowser } from "../browser/run-browser.js";
import type { Sources } from "../settings/config.js";
import { credentialsFrom } from "../settings/credentials.js";
import { deadHeldToken } from "../rotation/held-token.js";
import { UsageError } from "../errors.js";
import type { Registry } from "../registry.js";
import { Progress } from "../rotation/progress.js";
import { browserSettings } from "../settings/run-settings.js";
import type { Runtime } from "../runtime.js";
import type { TrustCircleciApi } from "./circleci.js";
import type { KindedToken, StoredTrust, TrustCapability, TrustTerms } from "./capability.js";
import { createSteps } from "../rotation/steps.js";
import { confirmUrls } from "../settings/official-urls.js";
import { rotationNames } from "../settings/rotations.js";

export interface PackageTrust {
  name: string;
  trusted: boolean;
  /** In words; null when it trusts no publisher. */
  publisher: string | null;
  /** This project's slug and pipeline name, when the configuration is for this project. */
  project: string | null;
  pipeline: string | null;
  allows: string | null;
}

export interface HeldTokenKind {
  envVar: string;
  where: string;
  last4: string | null;
  /** The token of the account it matches, by the list's last four; null when none does. */
  token: { name: string; kind: string } | null;
  warning: string | null;
}

/** A registry that accepts CircleCI's trusted publishers: its packages and the tokens its variables hold. */
export interface RegistryTrustStatus {
  user: string;
  packages: PackageTrust[];
  variables: HeldTokenKind[];
}

/** By registry id; a registry that does not accept CircleCI's trusted publishers yet says so in a sentence. */
export type TrustStatusReport = Record<string, RegistryTrustStatus | string>;

export interface HeldVariable {
  envVar: string;
  where: string;
  last4: string | null;
  set: boolean;
}

function packageTrust(
  name: string,
  configs: StoredTrust[],
  identity: ProjectIdentity,
  definitions: CircleciPipelineDefinition[],
  terms: TrustTerms,
): PackageTrust {
  // Configurations add up: the one for this project speaks for it, whatever else the package trusts.
  const config = configs.find((c) => terms.publisherOf(c)?.projectId === identity.projectId) ?? configs[0];
  if (!config) return { name, trusted: false, publisher: null, project: null, pipeline: null, allows: null };
  const publisher = terms.publisherOf(config);
  const ours = publisher?.projectId === identity.projectId;
  const definition = definitions.find((d) => d.id === publisher?.pipelineDefinitionId);
  return {
    name,
    trusted: true,
    publisher: configs.map(terms.describe).join("; "),
    project: ours ? identity.slug : null,
    pipeline: ours && definition ? definition.name : null,
    allows: terms.actionsText(config.permissions),
  };
}

function heldKind(variable: HeldVariable, tokens: KindedToken[], allTrusted: boolean, registry: Registry, now: Date): HeldTokenKind {
  const { id } = registry;
  const matches = variable.last4 === null ? [] : tokens.filter((t) => t.last4 === variable.last4);
  const token = matches.length === 1 ? matches[0] : undefined;
  if (token?.revoked) {
    // The list says npm revoked it: it no longer publishes, whatever its kind.
    return {
      envVar: variable.envVar,
      where: variable.where,
      last4: variable.last4,
      token: { name: token.name, kind: token.kind },
      warning: deadHeldToken(registry, token.expires, now),
    };
  }
  const next = allTrusted
    ? `every package trusts CircleCI: retire it with \`rotate trust ${id} --remove-token\` once a trusted publish worked`
    : `move to trusted publishing with \`rotate trust ${id}\``;
  return {
    envVar: variable.envVar,
    where: variable.where,
    last4: variable.last4,
    token: token ? { name: token.name, kind: token.kind } : null,
    warning: token?.warning ? `${token.warning}; ${next}` : null,
  };
}

/** Signs in, reads each package's trusted publisher and the token list, signs out. */
async function registryTrustStatus(
  runtime: Runtime,
  registry: Registry & { trust: TrustCapability },
  sources: Sources,
  project: { identity: ProjectIdentity; definitions: CircleciPipelineDefinition[] },
  variables: HeldVariable[],
  trustUrls: boolean,
): Promise<RegistryTrustStatus> {
  const configured = await registry.trust.configure(sources);
  // An address the registry found itself (npm's own configuration) is confirmed like the ones the settings name.
  await confirmUrls(configured.settings.addresses ?? [], {
    trustUrls,
    ask: new Ask(runtime.io, runtime.prompter),
    note: (text) => runtime.io.err(`${text}\n`),
  });
  const packages = registry.trust.packagesOnly(configured.settings.packages);
  const progress = new Progress(runtime.io);
  const ask = new Ask(runtime.io, runtime.prompter);
  const browser = browserSettings(sources);
  const credentials = credentialsFrom({
    id: registry.id,
    title: registry.title,
    ...(configured.settings.username ? { username: configured.settings.username } : {}),
    env: sources.env,
    ask,
  });
  const opened = runBrowser(runtime, browser);
  const side = configured.side({
    credentials,
    steps: createSteps(progress, { headed: !browser.headless, stepTimeoutMs: browser.stepTimeout * 1000 }),
    signal: runtime.signal,
    findBrowser: opened.findBrowser,
    launchBrowser: (found, origins, headless) => opened.launchBrowser(found, { origins, assets: registry.assetOrigins }, headless),
    reachable: runtime.reachable,
    // Status only reads: a few calls, on one code.
    skipTwoFactor: () => Promise.resolve(false),
  });
  const { title } = registry;
  await progress.step(`Preflight ${title}: packages, maintainers, browser`, () => side.preflight(packages));
  const user = await credentials.username();
  const session = await progress.step(`Sign in to ${title}`, () => side.signIn());
  try {
    const trust: PackageTrust[] = [];
    for (const name of packages)
      trust.push(
        packageTrust(
          name,
          await progress.step(`Read the trusted publishers of ${name}`, () => session.account.list(name)),
          project.identity,
          project.definitions,
          configured,
        ),
      );
    const tokens = await progress.step(`List ${title} tokens`, () => session.account.tokens());
    const allTrusted = trust.every((p) => p.project === project.identity.slug);
    return {
      user,
      packages: trust,
      variables: variables.filter((v) => v.set).map((v) => heldKind(v, tokens, allTrusted, registry, runtime.clock())),
    };
  } finally {
    await session.close();
  }
}

/** Every registry's part: signed in where it accepts CircleCI's trusted publishers, a sentence where not. */
export async function trustStatus(
  runtime: Runtime,
  sources: Sources,
  circleci: CircleciApi & TrustCircleciApi,
  projectSlug: string | undefined,
  variablesOf: (registry: Registry) => HeldVariable[],
  trustUrls: boolean,
): Promise<TrustStatusReport> {
  if (!projectSlug) {
    // A fleet's config names projects per rotation: the trust command reads one rotation's.
    const fleet = runtime.registries.find((r) => r.trust && rotationNames(r.section, sources).length > 0);
    throw new UsageError(
      `--trust names each trusted publisher by the project's ids: give --project-slug${fleet ? `, or for one rotation of ${sources.filePath ?? "the config"} run rotate trust ${fleet.id} --only NAME --dry-run` : ""}`,
    );
  }
  const identity = await circleci.projectIdentity(projectSlug);
  const definitions = await circleci.pipelineDefinitions(identity.projectId);
  const report: TrustStatusReport = {};
  for (const registry of runtime.registries) {
    const { trust } = registry;
    report[registry.id] = trust
      ? await registryTrustStatus(runtime, { ...registry, trust }, sources, { identity, definitions }, variablesOf(registry), trustUrls)
      : `${registry.title} does not accept CircleCI trusted publishers yet: keep rotating ${registry.defaultEnvVar} (rotate ${registry.id})`;
  }
  return report;
}

export function renderTrustStatus(report: TrustStatusReport, registries: Registry[]): string {
  return registries
    .flatMap((registry) => {
      const status = report[registry.id];
      if (status === undefined) return [];
      if (typeof status === "string") return [`${registry.title}  ${status}`];
      const width = Math.max(...status.packages.map((p) => p.name.length)) + 2;
      return [
        `Trusted publishing (${registry.title}, signed in as ${status.user}):`,
        ...status.packages.map((p) => {
          if (!p.trusted) return `  ${p.name.padEnd(width)}no trusted publisher`;
          const where = p.project
            ? `CircleCI project ${p.project}, pipeline ${p.pipeline ? `"${p.pipeline}"` : "(not one of this project's)"}, for ${p.allows}`
            : p.publisher;
          return `  ${p.name.padEnd(width)}trusts ${where}`;
        }),
        ...status.variables.flatMap((v) => [
          `  ${v.envVar} in ${v.where} (…${v.last4 ?? "????"}): ${v.token ? `${registry.title} token "${v.token.name}", ${v.token.kind}` : `no token of this ${registry.title} account ends so`}`,
          ...(v.warning ? [`    warning: ${v.warning}`] : []),
        ]),
      ];
    })
    .join("\n");
}
