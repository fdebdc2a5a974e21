// npm's trusted publishing as `rotate trust` sees it (src/trust/capability.ts): npm's words for
// its configurations, the job change, the exchange a job makes, and npm's end of a run, bound to
// npm's settings. Loaded only when a command runs.
import type { TrustImplementation } from "../../src/trust/capability.js";
import type { NpmSettings } from "./settings.js";
import { jobChange, tokenUses } from "./trust-job.js";
import { npmTrustSide } from "./trust-side.js";
import { actionsText, audienceFor, describeStored, differences, exchangeIdToken, publisherOf } from "./trust.js";

export const npmTrust: TrustImplementation<NpmSettings> = {
  settings: ({ envVar, packages, username, registryUrl, addresses }) => ({
    envVar,
    packages,
    registryUrl,
    ...(username ? { username } : {}),
    ...(addresses ? { addresses } : {}),
  }),
  side: npmTrustSide,
  // Since 2026-09-03 configurations add up, and a package may hold up to 10 (docs/sites/npm.md, "Trust API").
  configurationsPerPackage: 10,
  actionsText,
  describe: describeStored,
  publisherOf,
  differences,
  jobChange,
  tokenUses,
  audience: audienceFor,
  exchange: exchangeIdToken,
};
