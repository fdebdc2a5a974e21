// npm's settings as a command validates them (their flags, environment variables and config keys
// are declared in index.ts, which loads no validation code). Its own module so the flow's parts
// (the API path, the website path, the session, trusted publishing) share the type without
// importing each other.
import { z } from "zod";

export const NpmSettings = z.object({
  envVar: z.string(),
  packages: z.array(z.string()),
  username: z.string().optional(),
  permission: z.enum(["publish", "stage-only"], { error: "must be publish or stage-only" }),
  expiresDays: z.number().int(),
  ipRanges: z.array(z.string()).optional(),
  via: z.enum(["api", "website"], { error: "must be api or website" }),
  websiteUrl: z.url(),
  registryUrl: z.url(),
  addresses: z.array(z.object({ describe: z.string(), url: z.string(), from: z.string(), official: z.boolean() })).optional(),
});
export type NpmSettings = z.infer<typeof NpmSettings>;
