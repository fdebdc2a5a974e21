// The honest floor of a fleet (`rotate npm --all`, `rotate pypi --all`): a plain script that
// reaches the same end state with nothing else. Per registry: one sign-in in rotate's isolated
// browser, the token list read once; then per rotation: read which token its first destination
// holds (npm: by the last four), create the scoped token, check it live, put it in each destination
// (a project variable, a context variable) and read each back, delete the old token and see it gone
// from the list. No config, prompts, journal, retries or clean-up. Run as a child process, like rotate:
//   node dist/bench/floor-fleet.js < job.json
import type { Page } from "playwright";
import { browserEnv, launchIsolated } from "../src/browser/launch.js";
import { codes, currentCodes, expectStatus, field, type FloorJob } from "./floor-job.js";
import { createToken, npmSession } from "./floor-npm-api.js";
import { pypiCreate, pypiDelete, pypiSignIn, uploadProbe, whoami } from "./floor-pages.js";

export interface FleetFloorRotation {
  envVar: string;
  /** npm: packages (and scopes); PyPI: the project. */
  scope: string[];
  destinations: Array<{ projectSlug: string; context?: string }>;
}

export interface FleetFloorJob {
  executablePath: string;
  stepTimeoutMs: number;
  circleci: { url: string; token: string };
  /** One registry's account and rotations, as FloorJob spells the account. */
  registry: Pick<FloorJob, "path" | "websiteUrl" | "apiUrl" | "username" | "password" | "totpSecret">;
  rotations: FleetFloorRotation[];
}

/** CircleCI's API v2, as a script would call it: the token in its header, JSON both ways. */
function circleci(job: FleetFloorJob) {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; data: unknown }> => {
    const response = await fetch(`${job.circleci.url}${path}`, {
      method,
      headers: { "Circle-Token": job.circleci.token, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // CircleCI's rate limit: wait as Retry-After says, then again.
    if (response.status === 429) {
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get("retry-after") ?? "1") * 1000));
      return call(method, path, body);
    }
    return { status: response.status, data: (await response.json()) as unknown };
  };
  const contexts = new Map<string, string>();
  /** A context's id, by its name among its project's organization's contexts (looked up once each). */
  const contextId = async (projectSlug: string, name: string) => {
    const key = `${projectSlug.split("/").slice(0, 2).join("/")}/${name}`;
    const known = contexts.get(key);
    if (known) return known;
    const project = await call("GET", `/project/${encodeURIComponent(projectSlug)}`);
    const listed = await call("GET", `/context?owner-id=${field(project.data, "organization_id")}`);
    const found = (listed.data as { items: Array<{ id: string; name: string }> }).items.find((c) => c.name === name);
    if (!found) throw new Error(`no context ${name}`);
    contexts.set(key, found.id);
    return found.id;
  };
  return {
    /** The last four characters the project variable shows. */
    async heldLast4(projectSlug: string, envVar: string): Promise<string> {
      const held = await call("GET", `/project/${encodeURIComponent(projectSlug)}/envvar/${encodeURIComponent(envVar)}`);
      if (held.status !== 200) throw new Error(`reading the CircleCI variable: ${held.status}`);
      return field(held.data, "value").slice(-4);
    },
    /** Puts the value in the destination and reads it back. */
    async push(destination: { projectSlug: string; context?: string }, envVar: string, value: string): Promise<void> {
      if (!destination.context) {
        const pushed = await call("POST", `/project/${encodeURIComponent(destination.projectSlug)}/envvar`, { name: envVar, value });
        if (pushed.status !== 201) throw new Error(`pushing to ${destination.projectSlug}: ${pushed.status}`);
        if ((await this.heldLast4(destination.projectSlug, envVar)) !== value.slice(-4))
          throw new Error("CircleCI does not show the new value");
        return;
      }
      const id = await contextId(destination.projectSlug, destination.context);
      const put = await call("PUT", `/context/${id}/environment-variable/${encodeURIComponent(envVar)}`, { value });
      if (put.status !== 200) throw new Error(`pushing to context ${destination.context}: ${put.status}`);
      const listed = await call("GET", `/context/${id}/environment-variable`);
      if (!(listed.data as { items: Array<{ variable: string }> }).items.some((v) => v.variable === envVar))
        throw new Error(`context ${destination.context} does not list ${envVar}`);
    },
  };
}

const nameFor = (rotation: FleetFloorRotation) => {
  const [first] = rotation.destinations;
  const where = first?.context ? `${first.projectSlug}@${first.context}` : (first?.projectSlug ?? "");
  return { prefix: `${rotation.envVar} ${where} `, name: `${rotation.envVar} ${where} ${new Date().toISOString().slice(0, 16)}Z` };
};

/** Counts the distinct codes a source hands out: what a person would read off an authenticator. */
function tallied(source: () => Promise<string>): { code: () => Promise<string>; asked: () => number } {
  const seen = new Set<string>();
  return {
    code: async () => {
      const code = await source();
      seen.add(code);
      return code;
    },
    asked: () => seen.size,
  };
}

async function npmFleet(page: Page, job: FleetFloorJob, code: () => Promise<string>): Promise<void> {
  const single = job.registry as FloorJob;
  const ci = circleci(job);
  const { call, end } = await npmSession(page, single, code);
  const list = async () => {
    const tokens: Array<{ key: string; token: string }> = [];
    for (let next: string | null | undefined = "/-/npm/v1/tokens?perPage=100"; next;) {
      const listed = await call("GET", next);
      expectStatus(listed, 200, "listing tokens");
      const page = (await listed.json()) as { objects: Array<{ key: string; token: string }>; urls?: { next?: string | null } | null };
      tokens.push(...page.objects);
      next = page.urls?.next;
    }
    return tokens;
  };
  const tokens = await list();
  for (const rotation of job.rotations) {
    const [first] = rotation.destinations;
    const last4 = await ci.heldLast4(first?.projectSlug ?? "", rotation.envVar);
    const old = tokens.filter((token) => token.token.endsWith(`...${last4}`));
    if (old.length !== 1 || !old[0]) throw new Error("the old token is not in the list exactly once");
    const value = await createToken(call, single, { name: nameFor(rotation).name, scope: rotation.scope, otp: await code() });
    if ((await whoami(single, value)) !== 200) throw new Error("npm does not accept the new token");
    for (const destination of rotation.destinations) await ci.push(destination, rotation.envVar, value);
    expectStatus(await call("DELETE", `/-/npm/v1/tokens/token/${old[0].key}`, { otp: await code() }), 204, "deleting the old token");
    if ((await list()).some((token) => token.key === old[0]?.key)) throw new Error("npm still lists the old token");
  }
  await end();
}

async function pypiFleet(page: Page, job: FleetFloorJob, code: () => Promise<string>): Promise<void> {
  const single = job.registry as FloorJob;
  const ci = circleci(job);
  const tokens = await pypiSignIn(page, single, code);
  for (const rotation of job.rotations) {
    const { prefix, name } = nameFor(rotation);
    // The old token: the newest one made for this rotation's first destination (the list shows no values).
    const old = tokens.find((token) => token.name.startsWith(prefix));
    if (!old) throw new Error("no token of this destination in the list");
    const value = await pypiCreate(page, single, name, rotation.scope[0] ?? "");
    if ((await uploadProbe(single, value)) !== 400) throw new Error("PyPI does not accept the new token");
    for (const destination of rotation.destinations) await ci.push(destination, rotation.envVar, value);
    await pypiDelete(page, single, old.id);
    if ((await page.locator(`#api-tokens input[name="macaroon_id"][value="${old.id}"]`).count()) !== 0)
      throw new Error("PyPI still lists the old token");
  }
}

async function main(): Promise<void> {
  let input = "";
  for await (const chunk of process.stdin) input += String(chunk);
  const job = JSON.parse(input) as FleetFloorJob;
  const session = await launchIsolated({
    browser: { executablePath: job.executablePath, source: "explicit" },
    headless: true,
    allowedOrigins: [job.registry.websiteUrl],
    env: browserEnv(process.env),
    timeoutMs: job.stepTimeoutMs,
  });
  const single = job.registry as FloorJob;
  // npm takes a code for several calls while it is valid: the floor sends the code of the moment.
  const codesAsked = tallied(job.registry.path === "pypi" ? codes(single) : currentCodes(single));
  try {
    if (job.registry.path === "pypi") await pypiFleet(session.page, job, codesAsked.code);
    else await npmFleet(session.page, job, codesAsked.code);
  } finally {
    await session.close();
  }
  process.stdout.write(`${JSON.stringify({ codesAsked: codesAsked.asked() })}\n`);
}

await main();
// Done: nothing the script started matters any more (rotate exits the same way).
process.exit(0);
