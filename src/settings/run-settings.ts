// The settings every rotation shares (declared in declarations.ts), validated: where the token lives
// in CircleCI, and how to run the browser. Registry-specific settings live next to each flow.
import { z } from "zod";
import { parseTarget, type TargetSpec } from "../circleci/targets.js";
import { MissingSettingsError, parseSettings, resolveSection, type Sources } from "./config.js";
import { UsageError } from "../errors.js";
import { browserSection, circleciSection, variableNameProblem } from "./declarations.js";

const Target = z.union([z.string(), z.object({ projectSlug: z.string(), context: z.string().optional(), envVar: z.string().optional() })]);
const CircleciSettings = z.object({
  projectSlug: z.string().optional(),
  context: z.string().optional(),
  targets: z.array(Target).optional(),
  url: z.url(),
});
const BrowserSettings = z.object({ path: z.string().optional(), headless: z.boolean(), stepTimeout: z.number().positive() });

export type CircleciSettings = z.infer<typeof CircleciSettings>;
export type BrowserSettings = z.infer<typeof BrowserSettings>;

export function circleciSettings(sources: Sources): CircleciSettings {
  return parseSettings(CircleciSettings, resolveSection(circleciSection, sources), circleciSection, sources);
}

export function browserSettings(sources: Sources): BrowserSettings {
  return parseSettings(BrowserSettings, resolveSection(browserSection, sources), browserSection, sources);
}

function checkVariableName(name: string): void {
  const problem = variableNameProblem(name);
  if (problem) throw new UsageError(`${problem}; check --env-var (or the envVar of circleci.targets)`);
}

/**
 * The destinations of one registry's token: the listed targets whose variable is this registry's
 * (a target without one takes the registry's), else the one project (or context) variable.
 */
export function destinationsFor(circle: CircleciSettings, envVar: string): TargetSpec[] {
  const specs = listedDestinations(circle, envVar);
  for (const spec of specs) checkVariableName(spec.envVar);
  return specs;
}

function listedDestinations(circle: CircleciSettings, envVar: string): TargetSpec[] {
  if (circle.targets) {
    const specs = circle.targets.map((target) =>
      typeof target === "string" ? parseTarget(target, envVar) : { ...target, envVar: target.envVar ?? envVar },
    );
    const mine = specs.filter((spec) => spec.envVar === envVar);
    if (mine.length === 0)
      throw new UsageError(`none of the CircleCI targets holds ${envVar}: add one for it to circleci.targets, or pass --target`);
    return mine;
  }
  if (!circle.projectSlug)
    throw new MissingSettingsError([{ section: circleciSection, key: "projectSlug", orElse: "name destinations with --target" }]);
  return [{ projectSlug: circle.projectSlug, envVar, ...(circle.context ? { context: circle.context } : {}) }];
}
