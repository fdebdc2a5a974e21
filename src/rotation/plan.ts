// The questions between inventory and change: which order the situation calls for, which variable
// a context and a project share, and the plan the responder confirms before anything is created or
// deleted. Which token CircleCI holds now is old-token.ts's.
import type { Ask } from "../ask.js";
import type { PreflightedDestination, SameNamedVariable } from "../circleci/targets.js";
import { CancelledError } from "../errors.js";
import type { Checklist } from "./progress.js";
import type { TokenSummary } from "./capability.js";

export type Order = "routine" | "incident";

export async function chooseOrder(order: Order | undefined, ask: Ask): Promise<Order> {
  if (order) return order;
  if (!ask.canPrompt) return "routine";
  const exposed = await ask.confirm("Was the old token exposed (leaked)?", false, "pass --leaked or --routine");
  return exposed ? "incident" : "routine";
}

/** A context variable whose project has a same-named one: update which? */
export async function resolveSameNamed(
  destinations: PreflightedDestination[],
  sameNamed: SameNamedVariable[],
  ask: Ask,
  progress: Checklist,
): Promise<PreflightedDestination[]> {
  let chosen = destinations;
  for (const both of sameNamed) {
    const { context, project } = both;
    const question = `${context.target.envVar} is set both in ${context.target.where} (…${context.held?.last4 ?? "????"}) and on ${project.target.where} (…${project.held?.last4 ?? "????"}). Which should get the new token?`;
    if (!ask.canPrompt) {
      progress.note(
        `${question} Only the ${context.target.where} one, as configured; add --target ${project.target.spec.projectSlug} to update both.`,
      );
      continue;
    }
    const answer = await ask.select(
      question,
      [
        { name: `only ${context.target.where} (as configured)`, value: "context" },
        { name: `only ${project.target.where}`, value: "project" },
        { name: "both", value: "both" },
      ] as const,
      "",
    );
    if (answer === "project") chosen = chosen.map((d) => (d === context ? project : d));
    if (answer === "both") chosen = [...chosen, project];
  }
  return chosen;
}

export interface Plan {
  order: Order;
  registry: string;
  create: string;
  old: TokenSummary | undefined;
  /** Why no old token is deleted, when CircleCI holds one. */
  oldNote?: string;
  orphans: TokenSummary[];
  advisories: string[];
}

export function planLines(plan: Plan): string[] {
  const remove = plan.old
    ? `delete old token "${plan.old.name}" and check it is gone`
    : `delete no old token (${plan.oldNote ?? "none identified"})`;
  const steps = plan.order === "incident" ? [remove, plan.create] : [plan.create, remove];
  return [
    `Plan (${plan.order} order):`,
    ...steps.map((s, i) => `  ${i + 1}. ${s}`),
    ...(plan.orphans.length > 0
      ? [`Leftover tokens from earlier runs that CircleCI does not hold: ${plan.orphans.map((o) => `"${o.name}"`).join(", ")}`]
      : []),
    ...plan.advisories,
  ];
}

/** Asks before anything destructive. Returns whether to delete leftovers too. */
export async function confirmPlan(plan: Plan, options: { yes: boolean; deleteOrphans: boolean }, ask: Ask): Promise<boolean> {
  if (options.yes) return options.deleteOrphans;
  if (!(await ask.confirm("Go ahead?", false, "pass --yes"))) throw new CancelledError();
  if (plan.orphans.length === 0 || options.deleteOrphans) return options.deleteOrphans;
  return ask.confirm(`Also delete the ${plan.orphans.length} leftover token(s) at the end?`, true, "pass --delete-orphans");
}
