// An organisation's several tokens of one registry: the `rotations` of its section of
// rotate.config.json, each a name, its CircleCI destinations and its token's own settings, while
// the account and the sites' addresses stay shared at the section's level. Each rotation's
// settings resolve as any run's do (flags > environment > the rotation's own > the section's >
// defaults), through the registry's own schema; an error names the rotation. The single form (no
// `rotations`) is a fleet of one, named after the registry.
import { parseTarget, targetFlag, type TargetSpec } from "../circleci/targets.js";
import { UsageError } from "../errors.js";
import type { ConfiguredRegistry, Registry } from "../registry.js";
import { MissingSettingsError, resolveSection, type Sources } from "./config.js";
import { circleciSection, flagAttribute, slugProblem, variableNameProblem, type SettingsSection } from "./declarations.js";
import { circleciSettings, destinationsFor } from "./run-settings.js";

/** One rotation of a fleet, ready to run: its name, its registry's flow bound to its settings, its destinations. */
export interface FleetMember {
  name: string;
  configured: ConfiguredRegistry;
  targets: TargetSpec[];
}

type FileTarget = string | { projectSlug: string; context?: string; envVar?: string };
interface FileRotation {
  name: string;
  targets: FileTarget[];
  [setting: string]: unknown;
}

/** The rotations the section names, as the file has them; undefined for the single form. */
function fileRotations(section: SettingsSection, sources: Sources): FileRotation[] | undefined {
  return (sources.file[section.section] as { rotations?: FileRotation[] } | undefined)?.rotations;
}

/** The sources as one rotation reads them: its own settings over the section's shared ones. */
function withRotation(section: SettingsSection, sources: Sources, rotation: FileRotation): Sources {
  const { rotations: _all, ...shared } = sources.file[section.section] as Record<string, unknown>;
  const { name: _name, targets: _targets, ...own } = rotation;
  return { ...sources, file: { ...sources.file, [section.section]: { ...shared, ...own } } };
}

/** `--only` naming rotations the config does not have: one line naming those it has. */
function noSuchRotation(registry: Registry, sources: Sources, unknown: string[], rotations: FileRotation[]): UsageError {
  return new UsageError(
    `--only ${unknown.join(",")}: no ${registry.title} rotation of that name in ${sources.filePath} (it names ${rotations.map((r) => r.name).join(", ")})`,
  );
}

/** The names of the rotations the config file gives a registry (none for the single form). */
export function rotationNames(section: SettingsSection, sources: Sources): string[] {
  return (fileRotations(section, sources) ?? []).map((r) => r.name);
}

/** A destination of a rotation: `gh/org/repo`, `gh/org/repo@context`, or an object; its variable the rotation's unless it names its own. */
function destination(target: FileTarget, envVar: string, place: string): TargetSpec {
  const spec = typeof target === "string" ? parseTarget(target, envVar) : { ...target, envVar: target.envVar ?? envVar };
  const problem = slugProblem(spec.projectSlug) ?? variableNameProblem(spec.envVar);
  if (problem) throw new UsageError(`${place}: targets: ${problem}`);
  return spec;
}

/**
 * Settings that name one token cannot be given for a whole fleet from a flag or the environment:
 * every rotation would get them (CircleCI's destinations, what the token may publish, its variable).
 * One rotation (`--only NAME`) may be narrowed to some of its destinations with --target.
 */
function refuseOneTokenFlags(registry: Registry, sources: Sources, oneRotation: boolean): void {
  const { section } = registry;
  const keys = [section.scopeSetting, "envVar"].filter((key): key is string => key !== undefined);
  const given = [
    ...["projectSlug", "context", ...(oneRotation ? [] : ["targets"])].flatMap((key) => {
      const spec = circleciSection.settings[key];
      return spec && sources.flags[flagAttribute(spec.flag)] !== undefined ? [spec.flag] : [];
    }),
    ...keys.flatMap((key) => {
      const spec = section.settings[key];
      if (!spec) return [];
      if (sources.flags[flagAttribute(spec.flag)] !== undefined) return [spec.flag];
      return spec.env && sources.env[spec.env] ? [spec.env] : [];
    }),
  ];
  if (given.length > 0)
    throw new UsageError(
      `${given.join(", ")} would apply to every one of the ${section.section} rotations in ${sources.filePath}: each rotation names its own there (leave ${given.length === 1 ? "it" : "them"} out, or pick rotations with --only)`,
    );
}

/** A rotation's problem, named: `npm.rotations[1] ("docs"): …`. A missing setting says to add it to the rotation. */
function named(place: string, section: SettingsSection, error: unknown): unknown {
  if (error instanceof MissingSettingsError)
    return new UsageError(
      `${place}: ${error.missing.map(({ key }) => `${section.settings[key]?.describe ?? key} is not set: add "${key}" to it`).join("; ")}`,
    );
  if (error instanceof UsageError) return new UsageError(`${place}: ${error.message}`);
  return error;
}

/** Two rotations may not put their tokens in the same variable: the second would overwrite the first. */
function refuseSharedVariables(members: FleetMember[]): void {
  const owner = new Map<string, string>();
  for (const member of members)
    for (const target of member.targets) {
      const key = `${target.envVar} in ${targetFlag(target)}`;
      const other = owner.get(key);
      if (other !== undefined && other !== member.name)
        throw new UsageError(
          `rotations "${other}" and "${member.name}" both put their token in ${key}: give each variable to one rotation`,
        );
      owner.set(key, member.name);
    }
}

/**
 * The rotations of a registry to run: every one the config names, or those `only` lists; the
 * single form as a fleet of one. A missing setting of the single form stays a MissingSettingsError,
 * so a terminal can ask for it.
 */
export async function fleetMembers(registry: Registry, sources: Sources, only: string[] | undefined): Promise<FleetMember[]> {
  const { section } = registry;
  const rotations = fileRotations(section, sources);
  if (!rotations) {
    if (only && only.some((name) => name !== registry.id))
      throw new UsageError(
        `--only ${only.join(",")}: ${sources.filePath ?? "rotate.config.json"} names no ${registry.title} rotations (its single token is "${registry.id}"): add "rotations" to its "${section.section}" section`,
      );
    const configured = await registry.configure(sources);
    return [{ name: registry.id, configured, targets: destinationsFor(circleciSettings(sources), configured.settings.envVar) }];
  }
  refuseOneTokenFlags(registry, sources, only?.length === 1);
  const unknown = (only ?? []).filter((name) => !rotations.some((r) => r.name === name));
  if (unknown.length > 0) throw noSuchRotation(registry, sources, unknown, rotations);
  const members: FleetMember[] = [];
  for (const [index, rotation] of rotations.entries()) {
    if (only && !only.includes(rotation.name)) continue;
    const { name, targets } = rotation;
    const place = `${section.section}.rotations[${index}] ("${name}")`;
    try {
      const configured = await registry.configure(withRotation(section, sources, rotation));
      members.push({ name, configured, targets: targets.map((target) => destination(target, configured.settings.envVar, place)) });
    } catch (error) {
      throw named(place, section, error);
    }
  }
  refuseSharedVariables(members);
  const narrowed = sources.flags[flagAttribute(circleciSection.settings.targets?.flag ?? "--target")];
  return Array.isArray(narrowed) ? members.map((member) => narrowedTo(member, narrowed.map(String))) : members;
}

/** The one rotation rerun for just some of its destinations (`--only NAME --target …`, as a next step says). */
function narrowedTo(member: FleetMember, given: string[]): FleetMember {
  const targets = given.map((text) => {
    const wanted = parseTarget(text, member.configured.settings.envVar);
    const found = member.targets.find((t) => t.projectSlug === wanted.projectSlug && t.context === wanted.context);
    if (!found)
      throw new UsageError(
        `--target ${text} is not a destination of rotation "${member.name}" (it has ${member.targets.map(targetFlag).join(", ")})`,
      );
    return found;
  });
  return { ...member, targets };
}

/**
 * One rotation of a fleet as the single form, for a command that works on one token's project
 * (`rotate trust npm --only NAME`): its own settings over the section's shared ones, and its
 * destinations as `circleci.targets`. A config without `rotations` is returned as it is, and then
 * --only is refused.
 */
export function rotationAsSingle(registry: Registry, sources: Sources, only: string | undefined): Sources {
  const { section } = registry;
  const rotations = fileRotations(section, sources);
  const file = sources.filePath ?? "rotate.config.json";
  if (!rotations) {
    if (only) throw new UsageError(`--only ${only}: ${file} names no ${registry.title} rotations: leave --only out`);
    return sources;
  }
  const names = rotations.map((r) => r.name);
  if (!only)
    throw new UsageError(
      `${file} names ${names.length} ${registry.title} rotation(s) (${names.join(", ")}): pass --only NAME for the one whose project this is about`,
    );
  const rotation = rotations.find((r) => r.name === only);
  if (!rotation) throw noSuchRotation(registry, sources, [only], rotations);
  const one = withRotation(section, sources, rotation);
  const circleci = { ...(sources.file[circleciSection.section] as Record<string, unknown> | undefined), targets: rotation.targets };
  return { ...one, file: { ...one.file, [circleciSection.section]: circleci } };
}

/** A rotation as the file and the flags give it, unvalidated beyond each value's kind (what status and drills read). */
export interface GivenRotation {
  name: string;
  settings: Record<string, unknown>;
  envVar: string;
  targets: TargetSpec[];
}

/** Each rotation of the registry's section with its settings resolved as a run would (no schema, no network); undefined for the single form. */
export function givenRotations(registry: Registry, sources: Sources): GivenRotation[] | undefined {
  const { section } = registry;
  const rotations = fileRotations(section, sources);
  if (!rotations) return undefined;
  return rotations.map((rotation, index) => {
    const { name, targets } = rotation;
    const settings = resolveSection(section, withRotation(section, sources, rotation));
    const envVar = typeof settings.envVar === "string" ? settings.envVar : registry.defaultEnvVar;
    const place = `${section.section}.rotations[${index}] ("${name}")`;
    return { name, settings, envVar, targets: targets.map((target) => destination(target, envVar, place)) };
  });
}

/** One rotation as a drill world seeds it (the shape rotate-replicas' FleetSeed takes). */
export interface SeedRotation {
  name: string;
  envVar: string;
  scope: string[];
  targets: Array<{ projectSlug: string; context?: string; envVar?: string }>;
}

/**
 * The single form as a drill seeds it: one rotation named after the registry, when the file gives
 * the registry a section and CircleCI a destination (a project or targets); else undefined.
 */
function singleGiven(registry: Registry, sources: Sources): GivenRotation[] | undefined {
  const circle = sources.file[circleciSection.section] as Record<string, unknown> | undefined;
  if (!sources.file[registry.section.section] || !(circle?.projectSlug || circle?.targets)) return undefined;
  const settings = resolveSection(registry.section, sources);
  const envVar = typeof settings.envVar === "string" ? settings.envVar : registry.defaultEnvVar;
  return [{ name: registry.id, settings, envVar, targets: destinationsFor(circleciSettings(sources), envVar) }];
}

/**
 * What the config in use would rotate, as a drill world builds it: every registry's rotations (the
 * single form as one), what each token may publish, its variable, where CircleCI holds it;
 * undefined when the file names no destination, and the drill rehearses its demo project.
 */
export function fleetSeed(registries: Registry[], sources: Sources): Record<string, SeedRotation[]> | undefined {
  const seed = registries.flatMap((registry) => {
    const rotations = givenRotations(registry, sources) ?? singleGiven(registry, sources);
    const scopeKey = registry.section.scopeSetting;
    if (!rotations) return [];
    const seeded = rotations.map(({ name, settings, envVar, targets }): SeedRotation => {
      const scope = scopeKey ? (settings[scopeKey] ?? []) : [];
      return {
        name,
        envVar,
        scope: (Array.isArray(scope) ? scope : [scope]).map(String),
        targets: targets.map(({ projectSlug, context, envVar: own }) => ({
          projectSlug,
          ...(context ? { context } : {}),
          ...(own !== envVar ? { envVar: own } : {}),
        })),
      };
    });
    return [[registry.id, seeded] as const];
  });
  return seed.length > 0 ? Object.fromEntries(seed) : undefined;
}
