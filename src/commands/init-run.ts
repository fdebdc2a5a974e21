// The work of `rotate init` (its flags and help are in init.ts): the questions, each answer
// checked as the setting's flag would be, and the file written only once it validates.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ask } from "../ask.js";
import { looksLikeSecret, parseAnswer, validateConfig } from "../settings/config.js";
import { UsageError } from "../errors.js";
import { browserSection, circleciSection, type SettingSpec, type SettingsSection } from "../settings/declarations.js";
import type { Runtime } from "../runtime.js";

/** gh/org/repo from the origin remote (git@github.com:org/repo.git, https://bitbucket.org/org/repo). */
export function slugFromRemote(remote: string): string | undefined {
  const match = /(github\.com|bitbucket\.org)[:/]([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/.exec(remote.trim());
  if (!match) return undefined;
  const vcs = match[1] === "github.com" ? "gh" : "bb";
  return `${vcs}/${match[2]}/${match[3]}`;
}

function detectSlug(cwd: string): string | undefined {
  try {
    return slugFromRemote(
      execFileSync("git", ["remote", "get-url", "origin"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
    );
  } catch {
    return undefined;
  }
}

export async function runInit(flags: { force?: boolean }, runtime: Runtime): Promise<number> {
  const path = join(runtime.cwd, "rotate.config.json");
  if (existsSync(path) && !flags.force) throw new UsageError(`${path} exists already: edit it, or pass --force to write it again`);
  const sections: SettingsSection[] = [circleciSection, browserSection, ...runtime.registries.map((r) => r.section)];
  const ask = new Ask(runtime.io, runtime.prompter);
  const how = "run rotate init in a terminal, or write rotate.config.json by hand (see README)";

  /** Asks until the answer is valid for the setting (or empty, when it may stay unset). */
  const question = async (
    spec: SettingSpec,
    message: string,
    options: { proposal?: string; optional?: boolean } = {},
  ): Promise<unknown> => {
    const proposal = options.proposal ?? (typeof spec.default === "string" ? spec.default : undefined);
    const answer = await ask.text(message, how, {
      ...(proposal ? { default: proposal } : {}),
      validate: (text) => {
        if (looksLikeSecret(text, sections))
          return "that looks like a token: rotate.config.json never holds secrets (give tokens only to rotate's prompts or the environment)";
        if (text === "") return options.optional ? true : "an answer is needed here";
        const parsed = parseAnswer(spec, text);
        return parsed.ok ? true : parsed.why;
      },
    });
    if (answer === "") return undefined;
    const parsed = parseAnswer(spec, answer);
    return parsed.ok ? parsed.value : undefined;
  };
  const { settings: circle } = circleciSection;
  const slugSpec = circle.projectSlug as SettingSpec;
  const contextSpec = circle.context as SettingSpec;

  const projectSlug = await question(slugSpec, "CircleCI project slug (vcs/org/repo, e.g. gh/mozilla/nimbus-shared):", {
    ...optionalProposal(detectSlug(runtime.cwd)),
  });
  const context = await question(contextSpec, "CircleCI context holding the tokens (empty: project variables):", { optional: true });
  const config: Record<string, Record<string, unknown>> = { circleci: { projectSlug, ...(context ? { context } : {}) } };

  // One account often publishes everywhere: a username given once is proposed for the next registry.
  let username: string | undefined;
  for (const registry of runtime.registries) {
    const detected = Object.fromEntries(
      await Promise.all(registry.initQuestions.map(async (q) => [q.key, await q.detect?.(runtime.cwd)] as const)),
    );
    const found = Object.values(detected).some(Boolean);
    if (!(await ask.confirm(`Does the project publish to ${registry.title}?`, found, how))) continue;
    const answers: Record<string, unknown> = {};
    const envVarSpec = registry.section.settings.envVar as SettingSpec;
    answers.envVar = await question(envVarSpec, `CircleCI variable for the ${registry.title} token:`);
    for (const q of registry.initQuestions) {
      const spec = registry.section.settings[q.key];
      if (!spec) throw new Error(`${registry.id} asks about ${q.key}, which is not one of its settings`);
      if (q.note)
        runtime.io.err(`${q.note}
`);
      if (q.choices) {
        answers[q.key] = await ask.select(q.message, q.choices, how);
        continue;
      }
      const proposal = detected[q.key] ?? (q.key === "username" ? username : undefined) ?? q.proposal;
      const answer = await question(spec, q.message, { optional: q.optional ?? false, ...optionalProposal(proposal) });
      answers[q.key] = answer;
      if (q.key === "username" && typeof answer === "string") username = answer;
    }
    config[registry.section.section] = Object.fromEntries(Object.entries(answers).filter(([, value]) => value !== undefined));
  }

  // The same validation every run uses, so nothing invalid is ever written.
  validateConfig(config, path, sections);
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
  runtime.io.out(`Wrote ${path}. Secrets stay out of it: give them in the environment or at the prompts.\n`);
  return 0;
}

function optionalProposal(value: string | undefined): { proposal?: string } {
  return value ? { proposal: value } : {};
}
