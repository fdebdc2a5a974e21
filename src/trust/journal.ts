// The memory of a move to trusted publishing, with the conventions of journal.ts: every change
// enters as one event through advance(), which updates the state and records the event (the
// audit record hears it). On any failure or Ctrl-C it is what "where things stand" is printed
// from, and what decides the exit code and the next step. Names, ids and last fours only.
import type { Standing } from "../errors.js";
import type { JournalEntry, Outcome } from "../rotation/journal.js";

export type PackageState =
  | "unchanged" // nothing done to it (yet)
  | "already" // trusted this project and pipeline before the run
  | "kept" // trusts another publisher, and the responder kept it
  | "old-removed" // its earlier configuration was deleted and the new one not added: it trusts nothing
  | "add-requested" // the add was sent, its answer not seen: it may trust the project
  | "added" // npm stored it; not read back yet
  | "verified" // read back, every field as sent
  | "mismatch"; // read back, and a field differs

export interface PackageEntry {
  name: string;
  state: PackageState;
  /** The configuration it had before the run, in words, when it had one. */
  previous?: string;
  /** Why the read-back does not match. */
  mismatch?: string;
  /** Its earlier configuration was deleted during this run (to be replaced). */
  earlierDeleted?: boolean;
  /** 2FA required and tokens disallowed during this run. */
  tokensDisallowed: boolean;
}

export interface VariableEntry {
  envVar: string;
  target: string;
  where: string;
  /** Last four CircleCI showed before the run, if it showed any. */
  before?: string;
  /** not-set: CircleCI did not have it (before the run, or when rotate came to delete it). */
  state: "set" | "deleted" | "not-set";
}

export type TrustEvent =
  | { step: "preflight"; detail: string }
  | { step: "sign-in" }
  | { step: "read"; pkg: string; trusts: string | undefined; ours: boolean }
  | { step: "plan"; detail: string }
  | { step: "kept"; pkg: string }
  | { step: "removed"; pkg: string }
  | { step: "add-requested"; pkg: string }
  | { step: "added"; pkg: string }
  | { step: "add-refused"; pkg: string; why: string }
  | { step: "verified"; pkg: string }
  | { step: "mismatch"; pkg: string; why: string }
  | { step: "proof"; ok: boolean; detail: string }
  | { step: "tokens-disallowed"; pkg: string }
  | { step: "token-identified"; name: string }
  | { step: "token-deleted"; name: string }
  | { step: "variable-deleted"; index: number; existed: boolean }
  | { step: "retire-skipped"; why: string }
  | { step: "failure"; why: string }
  | { step: "done"; detail: string };

export class TrustJournal implements Standing {
  readonly entries: JournalEntry[] = [];
  /** The npm tokens CircleCI held, once identified. */
  readonly npmTokens: Array<{ name: string; state: "alive" | "deleted" }> = [];
  /** The drill's proof, when it found the configuration does not work as set. */
  proofFailed: string | undefined;

  constructor(
    readonly publisher: string,
    readonly packages: PackageEntry[],
    readonly variables: VariableEntry[],
    /** The command that reruns this, for next-step messages. */
    readonly command: string,
    private readonly clock: () => Date,
    private readonly listener?: (entry: JournalEntry, journal: TrustJournal) => void,
  ) {}

  get envVar(): string {
    return this.variables[0]?.envVar ?? "";
  }

  get where(): string {
    return this.variables.map((v) => v.where).join(", ");
  }

  package(name: string): PackageEntry {
    const found = this.packages.find((p) => p.name === name);
    if (!found) throw new Error(`no package ${name} in this run`);
    return found;
  }

  advance(event: TrustEvent): void {
    const { outcome, detail } = this.apply(event);
    const entry: JournalEntry = { at: this.clock(), step: event.step, outcome, ...(detail ? { detail } : {}) };
    this.entries.push(entry);
    this.listener?.(entry, this);
  }

  private apply(event: TrustEvent): { outcome: Outcome; detail?: string } {
    const set = (pkg: string, state: PackageState) => {
      this.package(pkg).state = state;
      return { outcome: "ok" as const, detail: pkg };
    };
    switch (event.step) {
      case "preflight":
      case "plan":
      case "done":
        return { outcome: "ok", detail: event.detail };
      case "read":
        Object.assign(this.package(event.pkg), event.ours ? { state: "already" } : {}, event.trusts ? { previous: event.trusts } : {});
        return { outcome: "ok", detail: `${event.pkg}: ${event.trusts ?? "no trusted publisher"}` };
      case "proof":
        if (!event.ok) this.proofFailed = event.detail;
        return { outcome: event.ok ? "ok" : "failed", detail: event.detail };
      case "sign-in":
        return { outcome: "ok" };
      case "token-identified":
        this.npmTokens.push({ name: event.name, state: "alive" });
        return { outcome: "ok", detail: event.name };
      case "token-deleted":
        for (const token of this.npmTokens.filter((t) => t.name === event.name)) token.state = "deleted";
        return { outcome: "ok", detail: event.name };
      case "kept":
        return set(event.pkg, "kept");
      case "removed":
        this.package(event.pkg).earlierDeleted = true;
        return set(event.pkg, "old-removed");
      case "add-requested":
        return set(event.pkg, "add-requested");
      case "added":
        return set(event.pkg, "added");
      case "add-refused": {
        // npm answered with a refusal: nothing was added, so it is as it was after any deletion.
        const entry = this.package(event.pkg);
        entry.state = entry.earlierDeleted ? "old-removed" : "unchanged";
        return { outcome: "failed", detail: `${event.pkg}: ${event.why}` };
      }
      case "verified":
        return set(event.pkg, "verified");
      case "mismatch":
        Object.assign(this.package(event.pkg), { state: "mismatch", mismatch: event.why });
        return { outcome: "failed", detail: `${event.pkg}: ${event.why}` };
      case "tokens-disallowed":
        this.package(event.pkg).tokensDisallowed = true;
        return { outcome: "ok", detail: event.pkg };
      case "variable-deleted": {
        const variable = this.variables[event.index];
        if (!variable) throw new Error(`no CircleCI variable ${event.index}`);
        variable.state = event.existed ? "deleted" : "not-set";
        return { outcome: event.existed ? "ok" : "warning", detail: `${variable.envVar} in ${variable.where}` };
      }
      case "retire-skipped":
        return { outcome: "skipped", detail: event.why };
      case "failure":
        return { outcome: "failed", detail: event.why };
    }
  }

  /** Anything differs from before the run: decides exit code 1 versus 3. */
  get changedAnything(): boolean {
    const untouched: PackageState[] = ["unchanged", "already", "kept"];
    return (
      this.packages.some((p) => !untouched.includes(p.state) || p.tokensDisallowed) ||
      this.npmTokens.some((t) => t.state === "deleted") ||
      this.variables.some((v) => v.state === "deleted")
    );
  }

  /** The retirement began: a package's tokens were disallowed, or a token or variable deleted. */
  private get changedRetirement(): boolean {
    return (
      this.packages.some((p) => p.tokensDisallowed) ||
      this.npmTokens.some((t) => t.state === "deleted") ||
      this.variables.some((v) => v.state === "deleted")
    );
  }

  whereThingsStand(): string {
    const pad = (label: string) => label.padEnd("CircleCI".length + 2);
    const npm = [...this.packages.map((p) => `${p.name}: ${packageLine(p, this.publisher)}`), ...this.npmTokens.map(tokenLine)];
    const circleci = this.variables.map(variableLine);
    return [
      "Where things stand:",
      ...npm.map((line, i) => `  ${pad(i === 0 ? "npm" : "")}${line}`),
      ...circleci.map((line, i) => `  ${pad(i === 0 ? "CircleCI" : "")}${line}`),
    ].join("\n");
  }

  nextStep(interrupted: boolean): string {
    const { command } = this;
    if (!this.changedAnything)
      return interrupted
        ? `Nothing changed: the run was interrupted. Run \`${command}\` again when you are ready.`
        : `Nothing changed. Fix the cause above, then run \`${command}\` again.`;
    if (this.proofFailed) {
      return `The drill's proof found the configuration does not work as set: compare each package's trusted publisher on npmjs.com (the package's Settings) with the ids above, then run \`${command}\` again.`;
    }
    const bare = this.packages.filter((p) => p.state === "old-removed");
    if (bare.length > 0) {
      return `${names(bare)} ${bare.length === 1 ? "trusts" : "trust"} no publisher now (the earlier configuration was deleted): run \`${command}\` again to add ${this.publisher}, or restore the earlier one on npmjs.com (the package's Settings).`;
    }
    const unsure = this.packages.filter((p) => p.state === "add-requested" || p.state === "added" || p.state === "mismatch");
    if (unsure.length > 0) {
      return `Check the trusted publisher of ${names(unsure)} on npmjs.com (the package's Settings): it must be ${this.publisher}. Then run \`${command}\` again; it reads what is there and adds only what is missing.`;
    }
    const left = this.variables.filter((v) => v.state === "set");
    const alive = this.npmTokens.filter((t) => t.state === "alive");
    if (alive.length > 0 && this.changedRetirement) {
      return `Delete the npm token${alive.length > 1 ? "s" : ""} ${alive.map((t) => `"${t.name}"`).join(", ")} on npmjs.com (Access Tokens)${left.length > 0 ? `, then ${left.map((v) => `${v.envVar} in ${v.where}`).join(" and ")} in CircleCI` : ""}, or run \`${command} --remove-token\` again.`;
    }
    if (left.length > 0 && this.changedRetirement) {
      return `The npm token is deleted; delete ${left.map((v) => `${v.envVar} in ${v.where}`).join(" and ")} in CircleCI too (Project Settings, or Organization Settings → Contexts), or run \`${command} --remove-token\` again.`;
    }
    return `Trusted publishing is set up. Publish once through it from CircleCI, then run \`${command} --remove-token\` to retire ${this.envVar}.`;
  }
}

function names(packages: PackageEntry[]): string {
  return packages.map((p) => p.name).join(", ");
}

function packageLine(entry: PackageEntry, publisher: string): string {
  const disallowed = entry.tokensDisallowed ? "; 2FA required and tokens disallowed" : "";
  switch (entry.state) {
    case "unchanged":
      return `unchanged${entry.previous ? ` (trusts ${entry.previous})` : " (trusts no publisher)"}${disallowed}`;
    case "already":
      return `trusts ${publisher} (it did before this run)${disallowed}`;
    case "kept":
      return `kept its trusted publisher, ${entry.previous ?? "another one"}${disallowed}`;
    case "old-removed":
      return `its earlier trusted publisher (${entry.previous ?? "unknown"}) was deleted; the new one was not added: it trusts no publisher now`;
    case "add-requested":
      return `the new trusted publisher was sent; rotate did not see npm's answer, so it may or may not be there`;
    case "added":
      return `trusts ${publisher}; rotate could not read it back`;
    case "verified":
      return `trusts ${publisher} (added and read back)${disallowed}`;
    case "mismatch":
      return `npm holds a configuration that differs from what was sent (${entry.mismatch ?? "?"})`;
  }
}

function tokenLine(token: { name: string; state: "alive" | "deleted" }): string {
  return token.state === "alive" ? `npm token "${token.name}": still exists` : `npm token "${token.name}": deleted`;
}

function variableLine(variable: VariableEntry): string {
  const label = `${variable.envVar} in ${variable.where}`;
  if (variable.state === "deleted") return `${label}: deleted`;
  if (variable.state === "not-set") return `${label}: not set`;
  return `${label}: still set${variable.before ? ` (…${variable.before})` : ""}`;
}
