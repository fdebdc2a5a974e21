// Credentials go only where the responder knows. The sites' official addresses are built in; any
// other address (a flag, the environment or .env, rotate.config.json, any of which a pull request
// can change) is named before anything is sent, and needs a yes, or --trust-urls without a terminal.
import type { Ask } from "../ask.js";
import type { Address } from "./config.js";
import { CancelledError, UsageError } from "../errors.js";

export async function confirmUrls(urls: Address[], options: { trustUrls: boolean; ask: Ask; note(text: string): void }): Promise<void> {
  const unofficial = urls.filter((u) => !u.official);
  if (unofficial.length === 0) return;
  const named = unofficial.map((u) => `${u.describe}: ${u.url} (from ${u.from})`);
  if (options.trustUrls) {
    options.note("These addresses are not the official ones; --trust-urls accepts them, and rotate sends credentials there:");
    for (const line of named) options.note(`  ${line}`);
    return;
  }
  if (!options.ask.canPrompt) {
    throw new UsageError(
      `not the official address, and credentials would be sent there: ${named.join("; ")}; pass --trust-urls if that is intended`,
    );
  }
  options.note("These addresses are not the official ones, and rotate would send credentials there:");
  for (const line of named) options.note(`  ${line}`);
  if (!(await options.ask.confirm("Use them?", false, "pass --trust-urls"))) throw new CancelledError();
}

/** For the plan: every address this run sends credentials to, and where each came from. */
export function addressLines(urls: Address[]): string[] {
  return [
    "Credentials go only to:",
    ...urls.map(
      (u) =>
        `  ${u.describe}: ${u.url} (${u.official ? (u.from === "built in" ? "official" : `official, from ${u.from}`) : `from ${u.from}, not official`})`,
    ),
  ];
}
