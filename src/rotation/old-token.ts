// Which token CircleCI holds now, the one a rotation deletes as "the old token". Nothing is deleted
// on a guess: a token is the old one only when everything known agrees — its last four and
// CircleCI's, a kind that could be what CircleCI publishes with, the name rotate gives this
// destination's tokens, the last rotation the audit record remembers. A token that cannot be the
// held one is never taken for it. When it stays uncertain, a person picks (every choice shown with
// what rotate knows of it, "none of these — delete nothing" first and the default, no token
// preselected); without a terminal nothing is deleted: a routine run goes on and names the old
// token as left for a human, an incident run stops before anything changes.
import type { Ask } from "../ask.js";
import type { HeldValue } from "../circleci/client.js";
import { NothingChangedError, UsageError } from "../errors.js";
import type { TokenSummary } from "./capability.js";
import type { Secret } from "../secrets/secret.js";
import type { Order } from "./plan.js";
import type { TokenRecord } from "./records.js";
import { madeFor, toolMadeTokens } from "./token-names.js";

export interface OldTokenQuestion {
  tokens: TokenSummary[];
  /** What the variable rotate is about to replace holds now. */
  held: HeldValue | undefined;
  /** The prefix of the names of tokens rotate made for this destination. */
  namePrefix: string;
  named?: { name: string } | "none";
  value?: Secret;
  /** What the last rotation of this destination put there, from the audit record. */
  lastRotated?: { name: string; last4: string; at: string };
  /** What rotate's records say of a token of this name: its last four, for lists that show none (PyPI's). */
  recorded?: (tokenName: string) => TokenRecord | undefined;
  /**
   * The run's other destinations and the last four each shows: the picker says which holds a token.
   * In a fleet, other rotations' destinations too, with the prefix of the names rotate gives theirs.
   */
  others?: Array<{ where: string; last4?: string; namePrefix?: string }>;
  /** What CircleCI publishes with the token (a token that cannot publish them is not it). */
  publishes: string[];
  /** Decides what an uncertain match does without a terminal. */
  order: Order;
  registry: string;
  ask: Ask;
}

/** A destination as the picker names it: where it is, and the last four it shows. */
export function holderOf(destination: { target: { where: string }; held?: HeldValue | undefined }): { where: string; last4?: string } {
  return { where: destination.target.where, ...(destination.held?.last4 ? { last4: destination.held.last4 } : {}) };
}

export interface OldToken {
  /** The token to delete as the old one; undefined: none. */
  token?: TokenSummary;
  /** Why none is deleted although CircleCI holds one, for the responder. */
  note?: string;
  /** Set when nobody could tell which token it is: a human must delete it (the run exits 3). */
  leftForHuman?: string;
  /** When none was taken for it: the tokens that might still be what CircleCI holds. */
  mightBeHeld?: TokenSummary[];
}

/** What speaks for and against one token being the held one. */
interface Facts {
  token: TokenSummary;
  /** Why it cannot be the held one: it is never deleted as the old token. */
  excluded: string[];
  support: string[];
  doubts: string[];
}

/** Tokens whose shown prefix and last four fit a value the responder gave. */
function fitsValue(token: TokenSummary, value: Secret): boolean {
  if (token.last4 === undefined) return false;
  return value.last4 === token.last4 && (token.shownPrefix === undefined || value.reveal().startsWith(token.shownPrefix));
}

const day = (date: Date) => date.toISOString().slice(0, 10);

function factsOf(token: TokenSummary, q: OldTokenQuestion): Facts {
  const facts: Facts = { token, excluded: [], support: [], doubts: [] };
  const held = q.held?.last4;
  const recorded = token.last4 === undefined ? q.recorded?.(token.name)?.last4 : undefined;
  const last4 = token.last4 ?? recorded;
  const source = recorded === undefined ? "" : " by rotate's record";
  if (last4 !== undefined && held !== undefined) {
    if (last4 === held) facts.support.push(`ends …${held}${source} as CircleCI's value does`);
    else facts.excluded.push(`ends …${last4}${source}, CircleCI's value …${held}`);
  }
  if (q.value && token.last4 !== undefined) {
    if (fitsValue(token, q.value)) facts.support.push("matches the value given");
    else facts.excluded.push("does not match the value given");
  }
  const unfit = token.cannotPublish?.(q.publishes);
  if (unfit) facts.excluded.push(unfit);
  const destination = madeFor(token.name);
  // One token once served several rotations: made for another one's destination, which holds it too.
  const sharedWith = (q.others ?? []).find(
    (o) => o.namePrefix !== undefined && token.name.startsWith(o.namePrefix) && last4 !== undefined && o.last4 === last4,
  );
  if (token.name.startsWith(q.namePrefix) && destination) facts.support.push("rotate's name for this destination");
  else if (destination && sharedWith) facts.support.push(`rotate made it for ${sharedWith.where}, which holds it too`);
  else if (destination) facts.doubts.push(`rotate made it for ${destination}`);
  // The record counts while CircleCI still shows what that rotation put there.
  const last = q.lastRotated;
  if (last && (held === undefined || held === last.last4)) {
    if (token.name === last.name) facts.support.push(`the last rotation (${last.at.slice(0, 10)}) put it there`);
    else if (q.tokens.some((t) => t.name === last.name)) facts.doubts.push(`the last rotation put "${last.name}" there`);
  }
  return facts;
}

/** One choice of the picker: everything rotate knows of the token. */
function describe(facts: Facts, q: OldTokenQuestion): string {
  const { token } = facts;
  const holders = (q.others ?? []).filter((o) => token.last4 !== undefined && o.last4 === token.last4).map((o) => `${o.where} holds it`);
  const parts = [
    token.last4 ? `…${token.last4}` : undefined,
    token.kind,
    token.created ? `created ${day(token.created)}` : undefined,
    ...facts.support,
    ...facts.doubts,
    ...holders,
  ].filter((part): part is string => part !== undefined);
  return `"${token.name}"${parts.length > 0 ? ` (${parts.join("; ")})` : ""}`;
}

export async function identifyOldToken(q: OldTokenQuestion): Promise<OldToken> {
  if (q.named === "none") return {};
  if (q.named) return namedToken(q, q.named.name);
  // Nothing set, nothing given: there is no old token to find.
  if (!q.held && !q.value) return {};
  const all = q.tokens.map((token) => factsOf(token, q));
  const possible = all.filter((f) => f.excluded.length === 0);
  // The value given, matched by the first eight and the last four the list shows, outweighs a name.
  const value = q.value;
  const fitting = value ? possible.filter((f) => fitsValue(f.token, value)) : [];
  if (fitting.length === 1 && fitting[0]) return { token: fitting[0].token };
  const supported = possible.filter((f) => f.support.length > 0);
  // One token that everything known speaks for, and nothing against; any other that might be it has a doubt.
  const agreed = supported.filter((f) => f.doubts.length === 0);
  if (agreed.length === 1 && agreed[0]) return { token: agreed[0].token };
  const lastFourShown = q.held?.last4 !== undefined && q.tokens.some((t) => t.last4 !== undefined);
  if (possible.length === 0 || (supported.length === 0 && lastFourShown)) {
    return {
      note: `none of the account's ${q.registry} tokens can be the one CircleCI holds${all.length > 0 ? "" : " (it has none)"}, so none is deleted`,
    };
  }
  const candidates = supported.length > 0 ? supported : possible;
  const why = `${candidates.length === 1 ? "one token might be it" : `${candidates.length} tokens might be it`}: ${candidates.map((f) => describe(f, q)).join("; ")}`;
  if (!q.ask.canPrompt) {
    if (q.order === "incident") {
      throw new UsageError(
        `rotate cannot tell which ${q.registry} token CircleCI holds (${why}), and with the old token exposed it stops before anything changes: pass --old-token NAME (or --keep-old to delete none)`,
      );
    }
    return {
      mightBeHeld: candidates.map((f) => f.token),
      leftForHuman: `rotate could not tell which ${q.registry} token CircleCI held (${why}), so it deleted none: delete the old one by hand once you know which, or run again in a terminal or with --old-token NAME`,
    };
  }
  return pick(q, all);
}

function namedToken(q: OldTokenQuestion, name: string): OldToken {
  const token = q.tokens.find((t) => t.name === name);
  if (!token) throw new NothingChangedError(`${q.registry} has no token named "${name}": check --old-token against the token list`);
  const excluded = factsOf(token, q).excluded;
  if (excluded.length > 0)
    throw new NothingChangedError(
      `"${name}" cannot be the token CircleCI holds (${excluded.join("; ")}): check --old-token against the token list`,
    );
  return { token };
}

/** The picker: "none of these — delete nothing" first and the default; a token that cannot be it shown, not choosable. */
async function pick(q: OldTokenQuestion, all: Facts[]): Promise<OldToken> {
  const ending = q.value?.last4 ?? q.held?.last4;
  const choice = await q.ask.select(
    `Which ${q.registry} token does CircleCI hold now${ending ? ` (it ends in …${ending})` : ""}?`,
    [
      { name: "none of these — delete nothing", value: "" },
      ...all.map((facts) => ({
        name: describe(facts, q),
        value: facts.token.id,
        ...(facts.excluded.length > 0 ? { disabled: `cannot be CircleCI's: ${facts.excluded.join("; ")}` } : {}),
      })),
    ],
    "pass --old-token NAME (or --keep-old to delete none)",
  );
  const token = q.tokens.find((t) => t.id === choice);
  const possible = all.filter((f) => f.excluded.length === 0).map((f) => f.token);
  return token ? { token } : { note: "you chose none of them, so none is deleted", mightBeHeld: possible };
}

/**
 * The tokens rotate made for this destination that no variable can be holding, offered for
 * deletion at the end: not the old one, not one that might be what CircleCI holds, and not one
 * rotate's record puts in a variable outside this run (a context the run leaves alone).
 */
export function leftoverTokens(
  q: Pick<OldTokenQuestion, "tokens" | "namePrefix" | "recorded">,
  identified: OldToken,
  runsIn: string[],
): TokenSummary[] {
  const kept = new Set([identified.token, ...(identified.mightBeHeld ?? [])].map((token) => token?.id));
  const heldOutside = (token: TokenSummary) => (q.recorded?.(token.name)?.heldIn ?? []).some((where) => !runsIn.includes(where));
  return toolMadeTokens(q.tokens, q.namePrefix).filter((token) => !kept.has(token.id) && !heldOutside(token));
}
