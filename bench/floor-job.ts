// What the floor is handed (on stdin, never in argv: it holds the drill world's made-up
// credentials), what it reports back, and the helpers every path of it shares.
import { z } from "zod";
import { TotpSource } from "../src/totp.js";
import { Secret } from "../src/secret.js";

export const PATHS = ["pypi", "npm-api", "npm-website"] as const;
export type FloorPath = (typeof PATHS)[number];

/** The journal events of a rotation the floor reaches too, in order: the phases are the gaps between them. */
export const MARKS = ["preflight", "sign-in", "plan", "create", "check-new", "verify-circleci", "delete-old", "verify-old"] as const;
export type Mark = (typeof MARKS)[number];

export const FloorJob = z.object({
  path: z.enum(PATHS),
  executablePath: z.string(),
  stepTimeoutMs: z.number(),
  websiteUrl: z.url(),
  /** npm: the registry; PyPI: the upload endpoint. */
  apiUrl: z.url(),
  username: z.string(),
  password: z.string(),
  totpSecret: z.string(),
  /** PyPI: the project; npm: the packages and scopes. */
  scope: z.array(z.string()),
  /** The value CircleCI holds now, as the drill hands it to rotate (ROTATE_<ID>_OLD_TOKEN). */
  oldToken: z.string(),
  circleci: z.object({ url: z.url(), token: z.string(), projectSlug: z.string(), envVar: z.string() }),
});
export type FloorJob = z.infer<typeof FloorJob>;

export const FloorReport = z.object({ marks: z.record(z.enum(MARKS), z.number()) });
export type FloorReport = z.infer<typeof FloorReport>;

/** The end of each phase, as the epoch milliseconds rotate's journal would give it. */
export class Marks {
  readonly marks: Partial<Record<Mark, number>> = {};
  mark(name: Mark): void {
    this.marks[name] = Date.now();
  }
}

/** One-time codes as rotate computes them: each one newer than the last, as the sites require. */
export function codes(job: FloorJob): () => Promise<string> {
  const source = new TotpSource(new Secret(job.totpSecret, "floor TOTP secret"), "floor one-time code");
  return async () => (await source.next()).reveal();
}

/** Names as rotate gives them: the variable, the destination, and the minute. */
export const namePrefix = (job: FloorJob) => `${job.circleci.envVar} ${job.circleci.projectSlug} `;
export const tokenName = (job: FloorJob) => `${namePrefix(job)}${new Date().toISOString().slice(0, 16)}Z`;

export function expectStatus(response: Response, wanted: number, what: string): void {
  if (response.status !== wanted) throw new Error(`${what}: ${response.status} ${response.statusText}, expected ${wanted}`);
}

/** CircleCI's project variable: the last four characters it shows of the value it holds. */
export async function heldLast4(job: FloorJob): Promise<string> {
  const { url, token, projectSlug, envVar } = job.circleci;
  const response = await fetch(`${url}/project/${encodeURIComponent(projectSlug)}/envvar/${encodeURIComponent(envVar)}`, { headers: { "Circle-Token": token } });
  expectStatus(response, 200, "reading the CircleCI variable");
  return z.object({ value: z.string() }).parse(await response.json()).value.slice(-4);
}

/** Puts the new value in CircleCI and reads it back. */
export async function pushToCircleci(job: FloorJob, value: string): Promise<void> {
  const { url, token, projectSlug, envVar } = job.circleci;
  const pushed = await fetch(`${url}/project/${encodeURIComponent(projectSlug)}/envvar`, {
    method: "POST",
    headers: { "Circle-Token": token, "Content-Type": "application/json" },
    body: JSON.stringify({ name: envVar, value }),
  });
  expectStatus(pushed, 201, "pushing to CircleCI");
  if ((await heldLast4(job)) !== value.slice(-4)) throw new Error("CircleCI does not show the new value");
}
