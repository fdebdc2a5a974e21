// The questions between inventory and change: which token CircleCI holds now, which order the
// situation calls for, and the plan the responder confirms before anything is created or deleted.
import type { Ask } from "../ask.js";
import type { HeldValue } from "../circleci/client.js";
import type { PreflightedDestination, SameNamedVariable } from "../circleci/targets.js";
import { CancelledError, NothingChangedError } from "../errors.js";
import type { Checklist } from "./progress.js";
import type { TokenSummary } from "./capability.js";
import type { Secret } from "../secrets/secret.js";
import { toolMadeTokens } from "./token-names.js";

export type Order = "routine" | "incident";

/** Tokens whose shown prefix and last four fit a value the responder gave. */
function fitsValue(token: TokenSummary, value: Secret): boolean {
  if (token.last4 === undefined) return false;
  return value.last4 === token.last4 && (token.shownPrefix === undefined || value.reveal().startsWith(token.shownPrefix));
}

export interface OldTokenQuestion {
  tokens: TokenSummary[];
  /** What the variable rotate is about to replace holds now. */
  held: HeldValue | undefined;
  /** The prefix of the names of tokens rotate made for this destination. */
  namePrefix: string;
  named?: { name: string } | "none";
  value?: Secret;
  registry: string;
  ask: Ask;
}

/**
 * The token CircleCI holds now: the one named, else the one its value fits, else the one whose
 * last four characters the list and CircleCI both show, else (lists that show no value, PyPI's)
 * the newest one rotate made for this destination, else the responder picks.
 */
export async function identifyOldToken(q: OldTokenQuestion): Promise<TokenSummary | undefined> {
  if (q.named === "none") return undefined;
  if (q.named) {
    const name = q.named.name;
    const token = q.tokens.find((t) => t.name === name);
    if (!token) throw new NothingChangedError(`${q.registry} has no token named "${name}": check --old-token against the token list`);
    return token;
  }
  const listShowsValues = q.tokens.some((t) => t.last4 !== undefined);
  const value = q.value;
  const candidates = !listShowsValues
    ? toolMadeTokens(q.tokens, q.namePrefix).slice(0, 1)
    : value
      ? q.tokens.filter((t) => fitsValue(t, value))
      : q.tokens.filter((t) => q.held?.last4 !== undefined && t.last4 === q.held.last4);
  if (candidates.length === 1) return candidates[0];
  if (!q.held && !value) return undefined;
  const ending = value?.last4 ?? q.held?.last4 ?? "????";
  const names = candidates.map((t) => `"${t.name}"`).join(" and ");
  const choice = await q.ask.select(
    `Which ${q.registry} token does CircleCI hold now (it ends in …${ending})?`,
    [
      ...(candidates.length > 1 ? candidates : q.tokens).map((t) => ({ name: t.name, value: t.id })),
      { name: "none of these: keep all existing tokens", value: "" },
    ],
    candidates.length > 1
      ? `two tokens end in …${ending} (${names}): pass --old-token NAME to say which one CircleCI holds`
      : "pass --old-token NAME (or --keep-old to delete none)",
  );
  return q.tokens.find((t) => t.id === choice);
}

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
  orphans: TokenSummary[];
  advisories: string[];
}

export function planLines(plan: Plan): string[] {
  const remove = plan.old ? `delete old token "${plan.old.name}" and check it is gone` : "delete no old token (none identified)";
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
