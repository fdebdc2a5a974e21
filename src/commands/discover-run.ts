// The work of `rotate discover` (its flags and help are in discover.ts): the CircleCI address
// confirmed, the token, then what CircleCI holds that looks like publishing tokens and the
// rotations proposal, for people or as one JSON object. Nothing is changed; no value is shown.
import { Ask } from "../ask.js";
import { discover, discoveryScope, proposeRotations, type Discovery, type FoundVariable, type Proposal } from "../circleci/discovery.js";
import { ExitCode } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { loadSources, overriddenUrls } from "../settings/config.js";
import { browserSection, circleciSection } from "../settings/declarations.js";
import { confirmUrls } from "../settings/official-urls.js";
import { circleciSettings } from "../settings/run-settings.js";
import { circleciToken } from "./prepare.js";
import type { DiscoverFlags } from "./discover.js";

export async function runDiscover(flags: DiscoverFlags, runtime: Runtime): Promise<number> {
  const { io, registries } = runtime;
  const scope = discoveryScope(flags.org, flags.project ?? []);
  const sources = loadSources({
    flags,
    env: runtime.env,
    cwd: runtime.cwd,
    fileSections: [circleciSection, browserSection, ...registries.map((r) => r.section)],
  });
  const circle = circleciSettings(sources);
  const ask = new Ask(io, runtime.prompter);
  await confirmUrls(overriddenUrls([circleciSection], sources), {
    trustUrls: Boolean(flags.trustUrls),
    ask,
    note: (text) => io.err(`${text}\n`),
  });
  const client = runtime.circleci({
    baseUrl: circle.url,
    token: await circleciToken(runtime.env, ask),
    onRetry: ({ reason, waitMs }) => io.err(`CircleCI ${reason}; trying again in ${(waitMs / 1000).toFixed(1)}s\n`),
  });
  const found = await discover(client, registries, scope);
  const proposal = proposeRotations(found, registries);
  if (flags.json) {
    io.out(`${JSON.stringify({ ok: true, changed: false, ...found, proposal: proposal.config, notes: proposal.notes })}\n`);
    return ExitCode.done;
  }
  io.out(`${render(found, proposal, (id) => registries.find((r) => r.id === id)?.title ?? id)}\n`);
  return ExitCode.done;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

function shown(variable: FoundVariable): string {
  const held = variable.last4 ? `…${variable.last4}` : "last four not shown";
  return variable.setAt ? `${held}, set ${variable.setAt.slice(0, 10)}` : held;
}

/** The proposal as JSON to paste, one rotation a line (the shape is rotate's own, so it is written out). */
function proposalText(config: Proposal["config"]): string {
  const j = (value: string) => JSON.stringify(value);
  const sections = Object.entries(config).map(([section, { rotations }]) => {
    const lines = rotations.map(
      (r) => `      { "name": ${j(r.name)}, "envVar": ${j(r.envVar)}, "targets": [${r.targets.map(j).join(", ")}] }`,
    );
    return `  ${j(section)}: {\n    "rotations": [\n${lines.join(",\n")}\n    ]\n  }`;
  });
  return `{\n${sections.join(",\n")}\n}`;
}

function render(found: Discovery, proposal: Proposal, title: (registry: string) => string): string {
  const api = found.contextApi ? ` (contexts through API ${found.contextApi})` : "";
  const read = `${plural(found.contexts, "context")}${found.projects.length > 0 ? ` and ${found.projects.join(", ")}` : ""}`;
  const lines = [`CircleCI organization ${found.organization.slug} as ${found.user} sees it${api}: read ${read}; nothing was changed.`];
  if (found.found.length === 0) {
    lines.push("No variable there is named like a publishing token.");
    return lines.join("\n");
  }
  lines.push("", "Publishing tokens CircleCI holds:");
  const width = Math.max(...found.found.map((f) => `${f.envVar} in ${f.where}`.length));
  for (const variable of found.found) {
    lines.push(`  ${title(variable.registry).padEnd(5)} ${`${variable.envVar} in ${variable.where}`.padEnd(width)}  ${shown(variable)}`);
  }
  lines.push(
    "",
    "Proposed rotations for rotate.config.json (names and destinations only):",
    proposalText(proposal.config),
    ...proposal.notes.map((note) => `Note: ${note}.`),
  );
  return lines.join("\n");
}
