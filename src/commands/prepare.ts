// What `rotate <registry>` and `rotate trust npm` both need before they start: the registry's
// settings and the CircleCI destinations (whatever is missing named all at once, or asked for in a
// terminal), the CircleCI token, and a password piped in on stdin.
import type { Ask } from "../ask.js";
import type { TargetSpec } from "../circleci/targets.js";
import { MissingSettingsError, parseAnswer, type Sources } from "../settings/config.js";
import { flagAttribute } from "../settings/declarations.js";
import { UsageError } from "../errors.js";
import type { IO } from "../io.js";
import { circleciSettings, destinationsFor } from "../settings/run-settings.js";
import { Secret } from "../secrets/secret.js";

function missingOnly(error: unknown): MissingSettingsError {
  if (error instanceof MissingSettingsError) return error;
  throw error;
}

/**
 * The registry's settings (through `settingsOf`) and the CircleCI destinations of its variable.
 * Whatever is missing is named all at once before anything starts; in a terminal each missing
 * setting is asked for (and checked) instead.
 */
export async function settingsOrAsk<T>(
  settingsOf: (sources: Sources) => Promise<T>,
  envVarOf: (settings: T) => string,
  defaultEnvVar: string,
  sources: Sources,
  ask: Ask,
): Promise<{ settings: T; targets: TargetSpec[] }> {
  for (;;) {
    const settings = await settingsOf(sources).catch(missingOnly);
    const envVar = settings instanceof MissingSettingsError ? defaultEnvVar : envVarOf(settings);
    const targets = await Promise.resolve()
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
  return ask.secret("CircleCI personal API token:", "CircleCI token", "set CIRCLECI_TOKEN in the environment");
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
