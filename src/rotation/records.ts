// What rotate knows about the tokens it put in CircleCI: the project's rotation history (shared
// through the repository) and this machine's audit record, merged (a drill's status reads the
// history's drill lines only, as drills stay out of the audit record); and which of those records the
// value a CircleCI variable holds now is, by its last four characters. A value no record matches
// was changed outside rotate, so its expiry is unknown.
import type { AuditLog } from "../audit.js";
import type { HeldValue } from "../circleci/client.js";
import type { History } from "./history.js";

export interface RotationRecord {
  at: string;
  by: string;
  tokenName: string;
  last4: string;
  expires: string | null;
  recordedIn: "project history" | "audit log";
}

/** Every rotation of this variable either source recorded, oldest first. */
export function rotationsOf(
  sources: { audit?: AuditLog; history: History | undefined; drills?: boolean },
  variable: { registry: string; envVar: string; where: string },
): RotationRecord[] {
  const fromHistory = (sources.history?.rotations(sources.drills ? "drills" : "real") ?? [])
    .filter((line) => line.registry === variable.registry && line.envVar === variable.envVar && line.where === variable.where)
    .map(({ at, by, tokenName, last4, expires }): RotationRecord => ({ at, by, tokenName, last4, expires, recordedIn: "project history" }));
  const fromAudit = (sources.audit?.read() ?? [])
    .filter(
      (line) =>
        line.registry === variable.registry &&
        line.envVar === variable.envVar &&
        line.where.split(", ").includes(variable.where) &&
        line.step === "done",
    )
    .flatMap(({ at, by, newToken }): RotationRecord[] =>
      newToken ? [{ at, by, tokenName: newToken.name, last4: newToken.last4, expires: newToken.expires, recordedIn: "audit log" }] : [],
    );
  return [...fromHistory, ...fromAudit].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** What rotate recorded of one token it made: its last four, and where CircleCI was confirmed holding it. */
export interface TokenRecord {
  last4: string;
  heldIn: string[];
}

/**
 * Each token rotate recorded making (either source), by name: evidence, for a list that shows no
 * last four (PyPI's), of which token a variable holds, and of which tokens a variable outside the
 * run may still hold.
 */
export function tokenRecords(
  sources: { audit?: AuditLog; history: History | undefined },
  registry: string,
): (tokenName: string) => TokenRecord | undefined {
  const byName = new Map<string, TokenRecord>();
  const note = (name: string, last4: string, heldIn: string[]) => {
    const known = byName.get(name);
    byName.set(name, { last4, heldIn: [...new Set([...(known?.heldIn ?? []), ...heldIn])] });
  };
  for (const line of sources.history?.rotations("real") ?? [])
    if (line.registry === registry) note(line.tokenName, line.last4, [line.where]);
  for (const line of sources.audit?.read() ?? [])
    if (line.registry === registry && line.newToken)
      note(line.newToken.name, line.newToken.last4, line.step === "done" ? line.where.split(", ") : []);
  return (tokenName) => byName.get(tokenName);
}

/**
 * The record of the value CircleCI holds: the latest whose last four match. Context variables may
 * show no last four; then it is the latest record, unless the value was set after it.
 */
export function recordOfHeld(held: HeldValue, records: RotationRecord[]): RotationRecord | undefined {
  if (held.last4 !== undefined) return records.filter((record) => record.last4 === held.last4).at(-1);
  const latest = records.at(-1);
  return latest && (held.setAt === undefined || held.setAt.getTime() <= Date.parse(latest.at)) ? latest : undefined;
}

/** A fleet's rotation this machine rotated to the end (the old token gone too): when, and the token it left. */
export interface DoneRecord {
  at: Date;
  tokenName: string;
  last4: string;
}

/**
 * The rotation of a fleet that this machine's audit record says was done to its end since `since`
 * (the audit's "done" step comes only after the old token is gone; the project's history records
 * a destination as soon as CircleCI holds the new token, before that), provided every destination
 * still holds that token. Otherwise undefined: the rotation is not done.
 */
export function doneSince(
  audit: AuditLog,
  rotation: { registry: string; name: string },
  held: Array<HeldValue | undefined>,
  since: Date,
): DoneRecord | undefined {
  const done = audit
    .read()
    .filter((line) => line.registry === rotation.registry && line.rotation === rotation.name && line.step === "done")
    .filter((line) => line.newToken && Date.parse(line.at) >= since.getTime())
    .at(-1);
  if (!done?.newToken) return undefined;
  const { name: tokenName, last4, expires } = done.newToken;
  const record: RotationRecord = { at: done.at, by: done.by, tokenName, last4, expires, recordedIn: "audit log" };
  return held.every((value) => value !== undefined && recordOfHeld(value, [record]) !== undefined)
    ? { at: new Date(done.at), tokenName, last4 }
    : undefined;
}
