// `rotate status --trust`: what trusted publishing looks like now. It signs in to npm (the trust
// API wants a session and a one-time code even to read), so status does it only when asked.
// Per package: the trusted publisher, if any, named by project slug and pipeline when it is this
// project's; per npm variable in CircleCI: the kind of token it holds, and npm's January 2027
// change where it applies. PyPI does not accept CircleCI's trusted publishers yet.
import type { ListedToken } from "../../flows/npm/api.js";
import type { StoredTrust } from "../../flows/npm/trust.js";
import { actionsText, publisherOf, describeStored } from "../../flows/npm/trust.js";
import { confirmUrls } from "../settings/official-urls.js";
import { Ask } from "../ask.js";
import type { CircleciApi } from "../circleci/targets.js";
import type { CircleciPipelineDefinition, ProjectIdentity } from "../circleci/client.js";
import type { Sources } from "../settings/config.js";
import { credentialsFrom } from "../settings/credentials.js";
import { UsageError } from "../errors.js";
import { Progress } from "../rotation/progress.js";
import { browserSettings } from "../settings/run-settings.js";
import type { Runtime } from "../runtime.js";
import type { TrustCircleciApi } from "./circleci.js";
import { npm, packagesOnly } from "../../flows/npm/index.js";
import { createSteps } from "../rotation/steps.js";
import { npmSide } from "./npm.js";

export const PYPI_TRUST = "PyPI does not accept CircleCI trusted publishers yet: keep rotating PYPI_TOKEN (rotate pypi)";
const JANUARY_2027 = "npm ends direct publishing with bypass-2FA tokens in January 2027: this token stops publishing then";

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
  /** The npm token of the account it matches, by the list's last four; null when none does. */
  token: { name: string; kind: string } | null;
  warning: string | null;
}

export interface TrustStatusReport {
  npm: { user: string; packages: PackageTrust[]; variables: HeldTokenKind[] };
  pypi: string;
}

export interface NpmVariable {
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
): PackageTrust {
  const [config] = configs;
  if (!config) return { name, trusted: false, publisher: null, project: null, pipeline: null, allows: null };
  const publisher = publisherOf(config);
  const ours = publisher?.projectId === identity.projectId;
  const definition = definitions.find((d) => d.id === publisher?.pipelineDefinitionId);
  return {
    name,
    trusted: true,
    publisher: configs.map(describeStored).join("; "),
    project: ours ? identity.slug : null,
    pipeline: ours && definition ? definition.name : null,
    allows: actionsText(config.permissions),
  };
}

function heldKind(variable: NpmVariable, tokens: ListedToken[], allTrusted: boolean): HeldTokenKind {
  const matches = variable.last4 === null ? [] : tokens.filter((t) => t.last4 === variable.last4);
  const token = matches.length === 1 ? matches[0] : undefined;
  const next = allTrusted
    ? "every package trusts CircleCI: retire it with `rotate trust npm --remove-token` once a trusted publish worked"
    : "move to trusted publishing with `rotate trust npm`";
  return {
    envVar: variable.envVar,
    where: variable.where,
    last4: variable.last4,
    token: token ? { name: token.name, kind: token.kind } : null,
    warning: token?.bypassPublisher ? `${JANUARY_2027}; ${next}` : null,
  };
}

/** Signs in, reads each package's trusted publisher and the token list, signs out. */
export async function trustStatus(
  runtime: Runtime,
  sources: Sources,
  circleci: CircleciApi & TrustCircleciApi,
  projectSlug: string | undefined,
  variables: NpmVariable[],
  trustUrls: boolean,
): Promise<TrustStatusReport> {
  if (!projectSlug) throw new UsageError("--trust names each trusted publisher by the project's ids: give --project-slug");
  const settings = await npm.settings(sources);
  // The registry from npm's own configuration is confirmed like the addresses the settings name.
  await confirmUrls(settings.addresses ?? [], {
    trustUrls,
    ask: new Ask(runtime.io, runtime.prompter),
    note: (text) => runtime.io.err(`${text}\n`),
  });
  const packages = packagesOnly(settings.packages);
  const identity = await circleci.projectIdentity(projectSlug);
  const definitions = await circleci.pipelineDefinitions(identity.projectId);
  const progress = new Progress(runtime.io);
  const ask = new Ask(runtime.io, runtime.prompter);
  const browser = browserSettings(sources);
  const credentials = credentialsFrom({
    id: "npm",
    title: "npm",
    ...(settings.username ? { username: settings.username } : {}),
    env: sources.env,
    ask,
  });
  const side = npmSide({
    settings,
    browser,
    credentials,
    steps: createSteps(progress, { headed: !browser.headless, stepTimeoutMs: browser.stepTimeout * 1000 }),
    signal: runtime.signal,
    runtime,
  });
  await progress.step("Preflight npm: packages, maintainers, browser", () => side.preflight(packages));
  const user = await credentials.username();
  const session = await progress.step("Sign in to npm", () => side.signIn());
  try {
    const trust: PackageTrust[] = [];
    for (const name of packages)
      trust.push(
        packageTrust(
          name,
          await progress.step(`Read the trusted publishers of ${name}`, () => session.account.list(name)),
          identity,
          definitions,
        ),
      );
    const tokens = await progress.step("List npm tokens", () => session.account.tokens());
    const allTrusted = trust.every((p) => p.project === identity.slug);
    return {
      npm: { user, packages: trust, variables: variables.filter((v) => v.set).map((v) => heldKind(v, tokens, allTrusted)) },
      pypi: PYPI_TRUST,
    };
  } finally {
    await session.close();
  }
}

export function renderTrustStatus(report: TrustStatusReport): string {
  const width = Math.max(...report.npm.packages.map((p) => p.name.length)) + 2;
  const lines = [
    `Trusted publishing (npm, signed in as ${report.npm.user}):`,
    ...report.npm.packages.map((p) => {
      if (!p.trusted) return `  ${p.name.padEnd(width)}no trusted publisher`;
      const where = p.project
        ? `CircleCI project ${p.project}, pipeline ${p.pipeline ? `"${p.pipeline}"` : "(not one of this project's)"}, for ${p.allows}`
        : p.publisher;
      return `  ${p.name.padEnd(width)}trusts ${where}`;
    }),
    ...report.npm.variables.flatMap((v) => [
      `  ${v.envVar} in ${v.where} (…${v.last4 ?? "????"}): ${v.token ? `npm token "${v.token.name}", ${v.token.kind}` : "no token of this npm account ends so"}`,
      ...(v.warning ? [`    warning: ${v.warning}`] : []),
    ]),
    `PyPI  ${report.pypi}`,
  ];
  return lines.join("\n");
}
