// Settings come from four places, in this order of precedence: flags > environment (including
// a .env file, for non-secret values) > rotate.config.json > defaults. Each setting is declared
// once (declarations.ts); the config file's schema and the error messages are derived here from that
// declaration, and loaded only when a command runs. Secrets never come from here.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import dotenv from "dotenv";
import { z } from "zod";
import { UsageError } from "../errors.js";
import { flagAttribute, type Kind, type SettingSpec, type SettingsSection } from "./declarations.js";

export interface Sources {
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  file: Record<string, unknown>;
  filePath: string | undefined;
}

const SECRET_KEY = /pass(word|wd)|secret|token$|otp|credential/i;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
// CircleCI personal tokens start CCIPAT_, or are 40 hex characters in their older form; each
// registry's token shape comes with its section.
const CIRCLECI_TOKEN = /^(CCIPAT_|[0-9a-f]{40}$)/;

/** A value that looks like a token: never written to or read from the config file. */
export function looksLikeSecret(value: string, sections: SettingsSection[]): boolean {
  const text = value.trim();
  return CIRCLECI_TOKEN.test(text) || sections.some((s) => s.tokenPattern && new RegExp(`^${s.tokenPattern.source}`).test(text));
}

function fromText(text: string, kind: Kind): unknown {
  switch (kind) {
    case "number":
      return Number(text);
    case "list":
    case "targets":
      return text
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean);
    case "boolean":
      return /^(1|true|yes)$/i.test(text);
    default:
      return text;
  }
}

const KIND_SCHEMAS: Record<Kind, z.ZodType> = {
  string: z.string().min(1),
  // Plain http only to this machine (the drill replicas); anything else must be https.
  url: z
    .url({ protocol: /^https?$/ })
    .refine(
      (text) => !URL.canParse(text) || new URL(text).protocol === "https:" || LOOPBACK.has(new URL(text).hostname),
      "plain http:// is allowed only for this machine (127.0.0.1, localhost); use https://",
    ),
  number: z.number().finite(),
  list: z.array(z.string().min(1)).min(1),
  boolean: z.boolean(),
  // In the file, objects; on the command line and in the environment, `slug` or `slug@context`.
  targets: z
    .array(
      z.union([
        z.string().min(1),
        z.object({ projectSlug: z.string().min(1), context: z.string().min(1).optional(), envVar: z.string().min(1).optional() }).strict(),
      ]),
    )
    .min(1),
};

function where(spec: SettingSpec, key: string, section: string): string {
  return [spec.flag, spec.env, `${section}.${key} in rotate.config.json`].filter(Boolean).join(", ");
}

/** A setting's value and where it came from: a flag, a variable, the file, or "default". */
interface Resolved {
  value: unknown;
  origin: string;
}

function resolveOne(section: SettingsSection, key: string, spec: SettingSpec, sources: Sources): Resolved | undefined {
  const fileSection = (sources.file[section.section] ?? {}) as Record<string, unknown>;
  const flag = sources.flags[flagAttribute(spec.flag)];
  const env = spec.env ? sources.env[spec.env] : undefined;
  const [value, origin] =
    flag !== undefined
      ? [typeof flag === "string" ? fromText(flag, spec.kind) : flag, spec.flag]
      : env !== undefined && env !== ""
        ? [fromText(env, spec.kind), spec.env]
        : fileSection[key] !== undefined
          ? [fileSection[key], `${section.section}.${key} in ${sources.filePath}`]
          : [spec.default, "default"];
  if (value === undefined) return undefined;
  const parsed = checked(spec, value);
  if (!parsed.ok) throw new UsageError(`${origin}: ${parsed.why} (${spec.describe})`);
  return { value: parsed.value, origin: origin ?? "default" };
}

/** Resolves every setting of a section; a bad value's error names where it came from. */
export function resolveSection(section: SettingsSection, sources: Sources): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(section.settings)) {
    const one = resolveOne(section, key, spec, sources);
    if (one) resolved[key] = one.value;
  }
  return resolved;
}

/** An address a credential will be sent to, and where it came from. */
export interface Address {
  describe: string;
  url: string;
  /** The flag, variable or file it came from; "built in" for the site's official address. */
  from: string;
  /** The site's official address, built into rotate (or, for npm's registry, npm's own default). */
  official: boolean;
}

/**
 * Every URL setting with its value and where it came from. A config file or .env in a
 * repository can come from a pull request, so each address that is not the built-in official one
 * is named and confirmed before a password or token goes there.
 */
export function addressesOf(sections: SettingsSection[], sources: Sources): Address[] {
  return sections.flatMap((section) =>
    Object.entries(section.settings)
      .filter(([, spec]) => spec.kind === "url")
      .flatMap(([key, spec]) => {
        const one = resolveOne(section, key, spec, sources);
        if (!one) return [];
        const official = one.origin === "default" || one.value === spec.default;
        return [{ describe: spec.describe, url: String(one.value), from: official ? "built in" : one.origin, official }];
      }),
  );
}

/** The addresses given by a flag, the environment (or .env) or the config file instead of the official one. */
export function overriddenUrls(sections: SettingsSection[], sources: Sources): Address[] {
  return addressesOf(sections, sources).filter((address) => !address.official);
}

/** A URL found elsewhere (npm's own configuration), held to the rule every URL setting follows. */
export function checkUrl(text: string, from: string, describe: string): string {
  const parsed = KIND_SCHEMAS.url.safeParse(text);
  if (!parsed.success) throw new UsageError(`${from} gives ${text}: ${parsed.error.issues[0]?.message ?? "not a URL"} (${describe})`);
  return text;
}

type Checked = { ok: true; value: unknown } | { ok: false; why: string };

/** A value of the setting's kind, each string of it passing the setting's own check. */
function checked(spec: SettingSpec, value: unknown): Checked {
  const parsed = KIND_SCHEMAS[spec.kind].safeParse(value);
  if (!parsed.success) return { ok: false, why: parsed.error.issues[0]?.message ?? "invalid value" };
  const strings = (Array.isArray(parsed.data) ? parsed.data : [parsed.data]).filter((item): item is string => typeof item === "string");
  const why = spec.check && strings.map(spec.check).find(Boolean);
  return why ? { ok: false, why } : { ok: true, value: parsed.data };
}

/** An answer typed at `rotate init`, checked as the setting's flag value would be. */
export function parseAnswer(spec: SettingSpec, text: string): Checked {
  return checked(spec, fromText(text, spec.kind));
}

/**
 * Validates resolved settings. A missing one names every place it can be given; a bad one names
 * the place it came from and what is accepted: `--permission must be publish or stage-only`.
 */
export function parseSettings<T extends z.ZodType>(
  schema: T,
  resolved: Record<string, unknown>,
  section: SettingsSection,
  sources: Sources,
): z.infer<T> {
  const result = schema.safeParse(resolved);
  if (result.success) return result.data;
  const keys = [...new Set(result.error.issues.map((issue) => String(issue.path[0] ?? "")))];
  const missing = keys.filter((key) => resolved[key] === undefined && section.settings[key]).map((key) => ({ section, key }));
  if (missing.length === keys.length) throw new MissingSettingsError(missing);
  const issue = result.error.issues.find((i) => resolved[String(i.path[0])] !== undefined) ?? result.error.issues[0];
  const key = String(issue?.path[0] ?? "");
  const spec = section.settings[key];
  if (!spec) throw new UsageError(issue?.message ?? "invalid settings");
  const origin = resolveOne(section, key, spec, sources)?.origin ?? spec.flag;
  const said = issue?.message ?? "is invalid";
  throw new UsageError(`${origin === "default" ? spec.flag : origin} ${/^(must|is|has) /.test(said) ? said : `is invalid (${said})`}`);
}

export interface MissingSetting {
  section: SettingsSection;
  key: string;
  /** Another way to give what is missing, added to the message. */
  orElse?: string;
}

/** Settings a run needs that no flag, variable or file gave: all of them, named in one message. */
export class MissingSettingsError extends UsageError {
  override name = "MissingSettingsError";
  constructor(readonly missing: MissingSetting[]) {
    super(
      missing.length === 1
        ? `${describeMissing(missing[0] as MissingSetting)}`
        : `${missing.length} settings are not set: ${missing.map(describeMissing).join("; ")}`,
    );
  }

  /** The same error with more settings missing, so one message names them all. */
  and(other: MissingSettingsError): MissingSettingsError {
    return new MissingSettingsError([...this.missing, ...other.missing]);
  }
}

function describeMissing(missing: MissingSetting): string {
  const { section, key } = missing;
  const spec = section.settings[key];
  const orElse = missing.orElse ? `, or ${missing.orElse}` : "";
  return spec
    ? `${spec.describe} is not set: give it with ${where(spec, key, section.section)}${orElse}`
    : `${section.section}.${key} is not set`;
}

function refuseSecrets(value: unknown, path: string, filePath: string, sections: SettingsSection[]): void {
  if (typeof value === "string" && looksLikeSecret(value, sections)) {
    throw new UsageError(
      `${filePath}: ${path} holds what looks like a token; the config file must never hold secrets (give them in the environment or at the prompt)`,
    );
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    const innerPath = path ? `${path}.${key}` : key;
    if (SECRET_KEY.test(key)) {
      throw new UsageError(
        `${filePath}: ${innerPath} looks like a secret; the config file must never hold secrets (give them in the environment or at the prompt)`,
      );
    }
    refuseSecrets(inner, innerPath, filePath, sections);
  }
}

/** A rotation's name: what `--only` lists (comma-separated) and every table shows. */
const ROTATION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The keys one of a section's `rotations` may hold: its name, its destinations, its token's own settings. */
function rotationKeys(section: SettingsSection): string[] {
  return ["name", "targets", ...(section.tokenSettings ?? [])];
}

/**
 * An organisation's several tokens of one registry (`rotations`): each a name, its CircleCI
 * destinations and its token's settings; names unique, so each can be picked with --only.
 */
function rotationsSchema(section: SettingsSection): z.ZodType {
  const own = (section.tokenSettings ?? []).flatMap((key) => {
    const spec = section.settings[key];
    return spec ? [[key, KIND_SCHEMAS[spec.kind].optional()] as const] : [];
  });
  const rotation = z
    .object({
      name: z.string().regex(ROTATION_NAME, "must be letters, digits, and . _ - (no spaces or commas: --only lists names)"),
      targets: KIND_SCHEMAS.targets,
      ...Object.fromEntries(own),
    })
    .strict();
  return z
    .array(rotation)
    .min(1)
    .superRefine((rotations, context) => {
      const seen = new Set<string>();
      rotations.forEach((r, index) => {
        const name = (r as { name: string }).name;
        if (seen.has(name)) context.addIssue({ code: "custom", path: [index, "name"], message: `a second rotation is named "${name}"` });
        seen.add(name);
      });
    });
}

/** The schema of rotate.config.json, derived from the sections' declarations. */
export function configFileSchema(sections: SettingsSection[]): z.ZodType {
  const shape = Object.fromEntries(
    sections.map((s) => [
      s.section,
      z
        .object({
          ...Object.fromEntries(Object.entries(s.settings).map(([key, spec]) => [key, KIND_SCHEMAS[spec.kind].optional()])),
          ...(s.tokenSettings ? { rotations: rotationsSchema(s).optional() } : {}),
        })
        .strict()
        .optional(),
    ]),
  );
  return z.object({ $schema: z.string().optional(), ...shape }).strict();
}

/** Where in the file: `npm.rotations[1].packages`. */
function pathText(path: PropertyKey[]): string {
  return path.map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`)).join("");
}

export function readConfigFile(filePath: string, sections: SettingsSection[]): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(filePath, "utf8"));
  } catch (error) {
    throw new UsageError(`${filePath}: not valid JSON (${(error as Error).message})`);
  }
  return validateConfig(data, filePath, sections);
}

/** Checks config data: no secrets, known keys only, values of the right kind. */
export function validateConfig(data: unknown, filePath: string, sections: SettingsSection[]): Record<string, unknown> {
  refuseSecrets(data, "", filePath, sections);
  const result = configFileSchema(sections).safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue?.code === "unrecognized_keys") {
      const unknown = issue.keys[0] ?? "";
      const known = knownKeys(issue.path, sections);
      const nearest = nearestKey(unknown, known);
      throw new UsageError(
        `${filePath}: ${pathText([...issue.path, unknown])}: unknown key; ${nearest ? `did you mean ${nearest}? ` : ""}known here: ${known.join(", ")}`,
      );
    }
    throw new UsageError(`${filePath}: ${issue ? pathText(issue.path) || "(top level)" : "(top level)"}: ${issue?.message ?? "invalid"}`);
  }
  return result.data as Record<string, unknown>;
}

/** The known key a typo most likely meant: at most a third of its letters away, case aside. */
function nearestKey(typed: string, known: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++)
        next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length] ?? Infinity;
  };
  const scored = known.map((key) => ({ key, far: distance(typed.toLowerCase(), key.toLowerCase()) })).sort((x, y) => x.far - y.far);
  const best = scored[0];
  return best && best.far <= Math.max(1, Math.floor(typed.length / 3)) ? best.key : undefined;
}

/** The keys a place in the file may hold, so a typo's error shows the right spelling. */
function knownKeys(path: PropertyKey[], sections: SettingsSection[]): string[] {
  if (path.length === 0) return sections.map((s) => s.section);
  const section = sections.find((s) => s.section === path[0]);
  if (!section) return [];
  if (path[1] === "rotations") return rotationKeys(section);
  return [...Object.keys(section.settings), ...(section.tokenSettings ? ["rotations"] : [])];
}

export interface LoadOptions {
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Every section rotate.config.json may hold, whichever command reads it: one file serves every
   * command, and a typo in any section is caught by any of them.
   */
  fileSections: SettingsSection[];
}

/** The environment with .env underneath it (real environment wins), minus any secret in .env. */
function envWithDotenv(env: NodeJS.ProcessEnv, cwd: string): NodeJS.ProcessEnv {
  const path = join(cwd, ".env");
  if (!existsSync(path)) return env;
  const fromFile = dotenv.parse(readFileSync(path));
  const safe = Object.fromEntries(Object.entries(fromFile).filter(([name]) => !SECRET_KEY.test(name)));
  return { ...safe, ...env };
}

export function loadSources(options: LoadOptions): Sources {
  const env = envWithDotenv(options.env, options.cwd);
  const given = (options.flags.config as string | undefined) ?? env.ROTATE_CONFIG;
  const explicit = given ? resolve(options.cwd, given) : undefined;
  const filePath = explicit ?? join(options.cwd, "rotate.config.json");
  if (explicit && !existsSync(explicit))
    throw new UsageError(`config file ${explicit} does not exist: check --config or ROTATE_CONFIG, or run rotate init`);
  const file = existsSync(filePath) ? readConfigFile(filePath, options.fileSections) : {};
  return { flags: options.flags, env, file, filePath: existsSync(filePath) ? filePath : undefined };
}
