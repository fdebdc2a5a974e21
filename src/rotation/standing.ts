// "Where things stand": the journal read out per system, and the one next step that follows
// from it. Printed on every failure and on Ctrl-C.
import type { Destination, RotationState } from "./state.js";

function quoted(name: string | undefined): string {
  return name ? `"${name}"` : "(unnamed)";
}

function oldTokenLine(journal: RotationState): string {
  const { token, state } = journal.old;
  switch (state) {
    case "none":
      return journal.destinations.some((d) => d.before)
        ? "old token: not identified, so left as it was (CircleCI still holds it)"
        : "old token: none was to be removed";
    case "alive":
      return `old token ${quoted(token?.name)}: still exists and works`;
    case "deleted":
      return `old token ${quoted(token?.name)}: deleted (gone from the token list)`;
    case "dead":
      return `old token ${quoted(token?.name)}: deleted, and the registry rejects it`;
  }
}

function newTokenLine(journal: RotationState): string {
  const { token, state } = journal.new;
  const held = journal.destinations.filter((d) => d.state === "verified").length;
  switch (state) {
    case "none":
      return "new token: not created";
    case "requested":
      return `new token ${quoted(token?.name)}: may have been created (rotate did not see the result)`;
    case "created":
    case "live": {
      const works = state === "live" ? "exists and works" : "exists";
      if (held === journal.destinations.length) return `new token ${quoted(token?.name)}: ${works}, and CircleCI holds it`;
      if (journal.newTokenUnpushed) return `new token ${quoted(token?.name)}: ${works}, CircleCI does not have it`;
      return `new token ${quoted(token?.name)}: ${works}, CircleCI holds it in ${held} of ${journal.destinations.length} places`;
    }
    case "removed":
      return `new token ${quoted(token?.name)}: deleted again during clean-up`;
  }
}

function destinationLine(journal: RotationState, destination: Destination): string {
  const label = `${destination.envVar} in ${destination.where}`;
  const newLast4 = journal.new.last4 ?? "????";
  switch (destination.state) {
    case "unchanged":
      return `${label}: unchanged${destination.before ? `, holds …${destination.before} (the old token)` : ""}`;
    case "failed":
      return `${label}: unchanged${destination.before ? `, holds …${destination.before} (the old token)` : ""}; the push failed (${destination.failure ?? "no answer"})`;
    case "pushed":
      return destination.mismatch
        ? `${label}: does not hold the new token (it shows ${destination.mismatch}; the new token ends …${newLast4})`
        : `${label}: the new token was sent; rotate could not read it back`;
    case "verified":
      return `${label}: holds …${newLast4} (the new token)`;
  }
}

export function whereThingsStand(journal: RotationState): string {
  const width = Math.max(journal.registry.length, "CircleCI".length) + 2;
  const pad = (label: string) => label.padEnd(width);
  return [
    "Where things stand:",
    `  ${pad(journal.registry)}${oldTokenLine(journal)}`,
    `  ${pad("")}${newTokenLine(journal)}`,
    ...journal.destinations.map((d, i) => `  ${pad(i === 0 ? "CircleCI" : "")}${destinationLine(journal, d)}`),
    ...journal.sessionsLeft.map((left) => `  ${pad(journal.registry)}${left}`),
  ].join("\n");
}

/** The flags that point a rerun at just these destinations. */
function targetFlags(destinations: Destination[]): string {
  return destinations.map((d) => `--target '${d.target}'`).join(" ");
}

export function nextStep(journal: RotationState, command: string, interrupted: boolean): string {
  const registry = journal.registry;
  // Ctrl-C is the whole cause: there is nothing to fix first.
  const whenFixed = interrupted ? "when you are ready" : "once the cause above is fixed";
  if (!journal.changedAnything)
    return interrupted
      ? `Nothing changed: the run was interrupted. Run \`${command}\` again when you are ready.`
      : `Nothing changed. Fix the cause above, then run \`${command}\` again.`;
  if (!journal.changedTokens)
    return `No token and no CircleCI variable changed (the session above expires on its own). ${interrupted ? "Run" : "Fix the cause above, then run"} \`${command}\` again.`;
  if (journal.newTokenUnpushed) {
    return `Delete the new token ${quoted(journal.new.token?.name)} on ${registry} by hand (it never reached CircleCI), then run \`${command}\` again.`;
  }
  const failed = journal.destinations.filter((d) => d.state === "failed");
  // Some destinations hold the new token and others do not: rerun for just those.
  if (failed.length > 0 && journal.new.state !== "removed") {
    const oldAlive = journal.old.state === "alive" || journal.old.state === "none";
    return `${failed.map((d) => `${d.envVar} in ${d.where}`).join(", ")} did not get the new token${oldAlive ? " and still hold the old one, which stays alive" : ""}: ${whenFixed}, run \`${command} ${targetFlags(failed)}\` to rotate just ${failed.length === 1 ? "that one" : "those"}.`;
  }
  const oldGone = journal.old.state === "deleted" || journal.old.state === "dead";
  if (journal.allVerified && journal.old.state === "alive") {
    return `CircleCI already uses the new token. Delete the old token ${quoted(journal.old.token?.name)} on ${registry} by hand, or run \`${command}\` again to be offered its deletion.`;
  }
  const unconfirmed = journal.destinations.filter((d) => d.state === "pushed");
  if (unconfirmed.length > 0) {
    return `Open ${unconfirmed.map((d) => `${d.envVar} in ${d.where}`).join(", ")} in CircleCI and check it ends in …${journal.new.last4 ?? "????"}; if not, run \`${command}\` again.`;
  }
  if (oldGone && !journal.allVerified) {
    return `Publishing from CircleCI fails until it has a new token: run \`${command}\` again ${interrupted ? "now" : "as soon as the cause above is fixed"} (the exposed token is already gone).`;
  }
  return `Check ${journal.where} in CircleCI and the token list on ${registry}, then run \`${command}\` again.`;
}
