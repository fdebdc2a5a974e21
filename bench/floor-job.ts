// What the floor is handed (on stdin, never in argv: it holds the drill world's made-up
// credentials), what it reports back, and the helpers every path of it shares. The floor loads
// no schema library: a plain script would not pay for one (the benchmark checks the floor's
// report, and the end state, instead).
import { Secret as OTPSecret, TOTP } from "otpauth";
import { TotpSource } from "../src/secrets/totp.js";
import { Secret } from "../src/secrets/secret.js";

export const PATHS = ["pypi", "npm-api", "npm-website"] as const;
export type FloorPath = (typeof PATHS)[number];

/** The journal events of a rotation the floor reaches too, in order: the phases are the gaps between them. */
export const MARKS = ["preflight", "sign-in", "plan", "create", "check-new", "verify-circleci", "delete-old", "verify-old"] as const;
export type Mark = (typeof MARKS)[number];

export interface FloorJob {
  path: FloorPath;
  executablePath: string;
  stepTimeoutMs: number;
  websiteUrl: string;
  /** npm: the registry; PyPI: the upload endpoint. */
  apiUrl: string;
  username: string;
  password: string;
  totpSecret: string;
  /** PyPI: the project; npm: the packages and scopes. */
  scope: string[];
  /** The value CircleCI holds now, as the drill hands it to rotate (ROTATE_<ID>_OLD_TOKEN). */
  oldToken: string;
  circleci: { url: string; token: string; projectSlug: string; envVar: string };
}

/** The end of each phase, as the epoch milliseconds rotate's journal would give it. */
export class Marks {
  readonly marks: Partial<Record<Mark, number>> = {};
  mark(name: Mark): void {
    this.marks[name] = Date.now();
  }
}

/**
 * One-time codes as rotate computes them: each one newer than the last, as the sites require; with
 * `reuse` (npm's registry takes a code for several calls) the first one again, as a script that
 * passes one --otp to every call would.
 */
/**
 * The code of the moment, for a long run on a registry that takes a code for several calls while
 * it is valid (npm's): a new one each 30-second step, as a person reading an authenticator would.
 */
export function currentCodes(job: FloorJob): () => Promise<string> {
  const totp = new TOTP({ secret: OTPSecret.fromBase32(job.totpSecret) });
  return () => Promise.resolve(totp.generate());
}

export function codes(job: FloorJob, reuse = false): () => Promise<string> {
  const source = new TotpSource(new Secret(job.totpSecret, "floor TOTP secret"), "floor one-time code");
  let first: Promise<string> | undefined;
  const next = async () => (await source.next()).reveal();
  return reuse ? () => (first ??= next()) : next;
}

/** Names as rotate gives them: the variable, the destination, and the minute. */
export const namePrefix = (job: FloorJob) => `${job.circleci.envVar} ${job.circleci.projectSlug} `;
export const tokenName = (job: FloorJob) => `${namePrefix(job)}${new Date().toISOString().slice(0, 16)}Z`;

/** A string field of a JSON answer, or a failure naming it. */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | null)?.[name];
  if (typeof value !== "string") throw new Error(`the answer has no ${name}`);
  return value;
}

export function expectStatus(response: Response, wanted: number, what: string): void {
  if (response.status !== wanted) throw new Error(`${what}: ${response.status} ${response.statusText}, expected ${wanted}`);
}

/** CircleCI's project variable: the last four characters it shows of the value it holds. */
export async function heldLast4(job: FloorJob): Promise<string> {
  const { url, token, projectSlug, envVar } = job.circleci;
  const response = await fetch(`${url}/project/${encodeURIComponent(projectSlug)}/envvar/${encodeURIComponent(envVar)}`, {
    headers: { "Circle-Token": token },
  });
  expectStatus(response, 200, "reading the CircleCI variable");
  return field(await response.json(), "value").slice(-4);
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
