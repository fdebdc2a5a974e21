// "Where things stand": the journal read out per system, and the one next step that follows
// from it. Printed on every failure and on Ctrl-C.
import type { Journal } from "./journal.js";

function quoted(name: string | undefined): string {
  return name ? `"${name}"` : "(unnamed)";
}

function oldTokenLine(journal: Journal): string {
  const { token, state } = journal.old;
  switch (state) {
    case "none":
      return "old token: none was to be removed";
    case "alive":
      return `old token ${quoted(token?.name)}: still exists and works`;
    case "deleted":
      return `old token ${quoted(token?.name)}: deleted (gone from the token list)`;
    case "dead":
      return `old token ${quoted(token?.name)}: deleted, and the registry rejects it`;
  }
}

function newTokenLine(journal: Journal): string {
  const { token, state } = journal.new;
  switch (state) {
    case "none":
      return "new token: not created";
    case "requested":
      return `new token ${quoted(token?.name)}: may have been created (rotate did not see the result)`;
    case "created":
      return `new token ${quoted(token?.name)}: exists, CircleCI does not have it`;
    case "live":
      return `new token ${quoted(token?.name)}: exists and works, CircleCI does not have it`;
    case "pushed":
      return `new token ${quoted(token?.name)}: exists and was sent to CircleCI (not confirmed)`;
    case "verified":
      return `new token ${quoted(token?.name)}: exists, works, and CircleCI holds it`;
    case "removed":
      return `new token ${quoted(token?.name)}: deleted again during clean-up`;
  }
}

function circleciLine(journal: Journal): string {
  const { before, now, mismatch, changed } = journal.circleci;
  const label = `${journal.envVar} in ${journal.where}`;
  if (!changed) return `${label}: unchanged${before ? `, holds …${before} (the old token)` : ""}`;
  if (now !== undefined && now === journal.new.last4) return `${label}: holds …${now} (the new token)`;
  if (mismatch) return `${label}: does not hold the new token (it shows ${mismatch}; the new token ends …${journal.new.last4 ?? "????"})`;
  return `${label}: the new token was sent; rotate could not read it back`;
}

export function whereThingsStand(journal: Journal): string {
  const pad = (label: string) => label.padEnd(Math.max(journal.registry.length, "CircleCI".length) + 2);
  return [
    "Where things stand:",
    `  ${pad(journal.registry)}${oldTokenLine(journal)}`,
    `  ${pad("")}${newTokenLine(journal)}`,
    `  ${pad("CircleCI")}${circleciLine(journal)}`,
  ].join("\n");
}

export function nextStep(journal: Journal, command: string): string {
  const registry = journal.registry;
  if (!journal.changedAnything) return `Nothing changed. Fix the cause above, then run \`${command}\` again.`;
  if (journal.newTokenUnpushed) {
    return `Delete the new token ${quoted(journal.new.token?.name)} on ${registry} by hand (it never reached CircleCI), then run \`${command}\` again.`;
  }
  const circleciHoldsNew = journal.new.state === "verified";
  const oldGone = journal.old.state === "deleted" || journal.old.state === "dead";
  if (circleciHoldsNew && journal.old.state === "alive") {
    return `CircleCI already uses the new token. Delete the old token ${quoted(journal.old.token?.name)} on ${registry} by hand, or run \`${command}\` again to be offered its deletion.`;
  }
  if (journal.new.state === "pushed") {
    return `Open ${journal.envVar} in ${journal.where} in CircleCI and check it ends in …${journal.new.last4 ?? "????"}; if not, run \`${command}\` again.`;
  }
  if (oldGone && !circleciHoldsNew) {
    return `Publishing from CircleCI fails until it has a new token: run \`${command}\` again as soon as the cause above is fixed (the exposed token is already gone).`;
  }
  return `Check ${journal.envVar} in ${journal.where} in CircleCI and the token list on ${registry}, then run \`${command}\` again.`;
}
