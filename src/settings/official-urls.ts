// Credentials go only where the responder knows. The sites' official addresses are built in; any
// other address (a flag, the environment or .env, rotate.config.json, any of which a pull request
// can change) is named before anything is sent, and needs a yes, or --trust-urls without a terminal.
import type { Ask } from "../ask.js";
import type { OverriddenUrl } from "./config.js";
import { CancelledError, UsageError } from "../errors.js";

export async function confirmUrls(
  urls: OverriddenUrl[],
  options: { trustUrls: boolean; ask: Ask; note(text: string): void },
): Promise<void> {
  if (urls.length === 0 || options.trustUrls) return;
  const named = urls.map((u) => `${u.describe}: ${u.url} (from ${u.from})`);
  if (!options.ask.canPrompt) {
    throw new UsageError(
      `not the official address, and credentials would be sent there: ${named.join("; ")}; pass --trust-urls if that is intended`,
    );
  }
  options.note("These addresses are not the official ones, and rotate would send credentials there:");
  for (const line of named) options.note(`  ${line}`);
  if (!(await options.ask.confirm("Use them?", false, "pass --trust-urls"))) throw new CancelledError();
}
