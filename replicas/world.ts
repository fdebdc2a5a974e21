// The drill world: the CircleCI replica and one replica per registry on 127.0.0.1, with one demo
// project whose CircleCI variables hold tokens made by an earlier (pretend) rotation. `npm start`,
// `rotate sandbox`, `--sandbox`, the tests and the bench all run in it. Which registries it holds
// is the caller's list (rotate's registries); each one's replica comes from its folder's drill.ts.
// Given an organisation's fleet (the `rotations` of the config in use), the world is that fleet's
// instead: every CircleCI project, context and variable it names, each holding the token an
// earlier rotation made, so `--sandbox` rehearses exactly what the team would rotate.
// Credentials are random per start and exist only in memory.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { startCircleciReplica, type CircleciReplica } from "./circleci/replica.js";
import { DEMO } from "./demo.js";
import { serveControl } from "./shared/control.js";
import type { CircleciContextSeed, CircleciProjectSeed } from "./circleci/options.js";
import { heldTokenOf, type DrillAccount, type FleetSeed, type RegistryDrill, type StartDrill } from "./shared/drill.js";

export interface SandboxWorld {
  /** The drill's front desk: GET /drill, /code/<registry>, /outbox. */
  controlUrl: string;
  circleci: CircleciReplica;
  circleciToken: string;
  drills: RegistryDrill[];
  drill(id: string): RegistryDrill;
  /** Flag values (commander attribute names) that point `rotate <id>` at this world. */
  flags(id: string): Record<string, unknown>;
  /** Environment for a non-interactive run of `rotate <id>` in this world (credentials, the old token). */
  env(id: string): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Registry ids, e.g. ["npm", "pypi"]; each needs a replicas/<id>/drill.ts. */
  registries: string[];
  now?: () => Date;
  host?: string;
  /**
   * Per-registry knobs, e.g. { npm: { twoFactor: "webauthn" } }, and CircleCI's under `circleci`:
   * { circleci: { pipelineDefinitions: ["build-and-publish"] } } names the demo project's definitions.
   */
  knobs?: Record<string, Record<string, unknown>>;
  /** Where the front desk listens (`rotate sandbox` uses a fixed port others can find); default any. */
  controlPort?: number;
  /** The sandbox's key: GET /drill then answers only a caller that proves it knows it (shared/control.ts). */
  controlKey?: string;
  /** An organisation's own fleet: the world holds it instead of the demo project. */
  fleet?: FleetSeed;
}

export type { DrillAccount, FleetSeed, RegistryDrill };

/** Which fleet a world holds, so a `--sandbox` run of that fleet can tell a running sandbox holds it too. */
export function fleetId(fleet: FleetSeed): string {
  return createHash("sha256").update(JSON.stringify(fleet)).digest("hex").slice(0, 16);
}

/**
 * The CircleCI side of a fleet: every project its rotations name (its organization from its slug,
 * `gh/acme/widget` → `gh/acme`), every context (of its project's organization), and in each
 * destination the rotation's earlier token. As in the demo, each project has two pipeline
 * definitions and each organization a project that publishes nothing, so a trust drill's proof can
 * show another definition's and another project's jobs refused.
 */
function fleetCircleci(fleet: FleetSeed, drills: RegistryDrill[]): { projects: CircleciProjectSeed[]; contexts: CircleciContextSeed[] } {
  const organizations = new Map<string, { name: string; slug: string; id: string }>();
  const projects = new Map<string, CircleciProjectSeed>();
  const contexts = new Map<string, CircleciContextSeed>();
  const organizationOf = (projectSlug: string) => {
    const slug = projectSlug.split("/").slice(0, 2).join("/");
    const known = organizations.get(slug) ?? { name: slug.split("/")[1] ?? slug, slug, id: randomUUID() };
    organizations.set(slug, known);
    return known;
  };
  for (const drill of drills) {
    (fleet[drill.id] ?? []).forEach((rotation, index) => {
      const token = drill.fleetTokens[index];
      if (token === undefined) throw new Error(`the ${drill.id} drill made no token for rotation ${rotation.name}`);
      for (const target of rotation.targets) {
        const organization = organizationOf(target.projectSlug);
        const project = projects.get(target.projectSlug) ?? {
          slug: target.projectSlug,
          organization,
          envVars: {},
          pipelineDefinitions: DEMO_PIPELINES,
        };
        projects.set(target.projectSlug, project);
        const envVar = target.envVar ?? rotation.envVar;
        if (!target.context) {
          project.envVars = { ...project.envVars, [envVar]: token };
          continue;
        }
        const key = `${organization.id}/${target.context}`;
        const context = contexts.get(key) ?? { name: target.context, organizationId: organization.id, envVars: {} };
        context.envVars = { ...context.envVars, [envVar]: token };
        contexts.set(key, context);
      }
    });
  }
  for (const organization of organizations.values()) {
    const slug = `${organization.slug}/${BYSTANDER}`;
    if (!projects.has(slug)) projects.set(slug, { slug, organization, envVars: {}, pipelineDefinitions: [{ name: "build-and-publish" }] });
  }
  return { projects: [...projects.values()], contexts: [...contexts.values()] };
}

/** The name of the project a fleet's organizations get beside their own. */
const BYSTANDER = "drill-bystander";

/**
 * The demo project's pipeline definitions: by default two, so a trust drill asks which one
 * publishes (npm trusts exactly one) and its proof can show another definition's jobs refused.
 */
const DEMO_PIPELINES = [
  { name: "build-and-publish", description: "tests, then npm publish on main", configFilePath: ".circleci/config.yml" },
  { name: "nightly", description: "scheduled dependency checks", configFilePath: ".circleci/nightly.yml" },
];
function demoPipelines(knobs: Record<string, unknown> | undefined): Array<{ name: string; description?: string; configFilePath?: string }> {
  const names = knobs?.pipelineDefinitions;
  if (names === undefined) return DEMO_PIPELINES;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string"))
    throw new Error("knobs.circleci.pipelineDefinitions: give the names of one or more pipeline definitions");
  return names.map((name: string) => DEMO_PIPELINES.find((d) => d.name === name) ?? { name, configFilePath: ".circleci/config.yml" });
}

/** The demo project, a second project of its organization, and its context, holding the drills' earlier tokens. */
function demoCircleci(drills: RegistryDrill[], knobs: Record<string, unknown> | undefined) {
  return {
    projects: [
      {
        slug: DEMO.projectSlug,
        organization: { ...DEMO.organization },
        envVars: Object.fromEntries(drills.map((d) => [d.envVar, d.heldToken])),
        pipelineDefinitions: demoPipelines(knobs),
      },
      {
        slug: DEMO.otherProjectSlug,
        organization: { ...DEMO.organization },
        envVars: Object.fromEntries(drills.map((d) => [d.envVar, d.heldToken])),
        pipelineDefinitions: [{ name: "build-and-publish" }],
      },
    ],
    // For drills of a context destination (--target slug@context): the organization's context.
    contexts: [
      {
        name: DEMO.context,
        organizationId: DEMO.organization.id,
        envVars: Object.fromEntries(drills.map((d) => [d.envVar, d.contextToken])),
      },
    ],
  };
}

async function loadDrill(id: string): Promise<StartDrill> {
  if (!/^[a-z0-9-]+$/.test(id)) throw new Error(`no replica for registry "${id}"`);
  return ((await import(`./${id}/drill.js`)) as { startDrill: StartDrill }).startDrill;
}

export async function startSandboxWorld(options: WorldOptions): Promise<SandboxWorld> {
  const now = options.now ?? (() => new Date());
  const host = options.host ?? "127.0.0.1";
  const drills: RegistryDrill[] = [];
  const closeAll = () => Promise.all(drills.map((d) => d.close()));
  try {
    for (const id of options.registries) {
      const start = await loadDrill(id);
      drills.push(
        await start({
          now,
          host,
          projectSlug: DEMO.projectSlug,
          context: DEMO.context,
          ...(options.knobs?.[id] ? { knobs: options.knobs[id] } : {}),
          ...(options.fleet?.[id] ? { fleet: options.fleet[id] } : {}),
        }),
      );
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  const circleciToken = `CCIPAT_${randomBytes(16).toString("hex").slice(0, 22)}_${randomBytes(20).toString("hex")}`;
  const seeds = options.fleet ? fleetCircleci(options.fleet, drills) : demoCircleci(drills, options.knobs?.circleci);
  const circleci = await startCircleciReplica({
    host,
    now,
    tokens: [{ value: circleciToken, user: { ...DEMO.circleciUser } }],
    ...seeds,
  }).catch(async (error: unknown) => {
    await closeAll();
    throw error;
  });

  // A registry that accepts CircleCI's OIDC tokens (npm's trusted publishing) trusts this CircleCI.
  for (const d of drills) d.trustOidcIssuer?.(circleci.oidcIssuerBase);
  const drill = (id: string) => {
    const found = drills.find((d) => d.id === id);
    if (!found) throw new Error(`the sandbox has no replica for ${id}`);
    return found;
  };
  // A fleet names its own projects: the world gives only its addresses (and the accounts).
  const flags = (id: string) => ({
    ...drill(id).flags,
    circleciUrl: circleci.apiUrl,
    ...(options.fleet ? {} : { projectSlug: DEMO.projectSlug }),
  });
  const control = await serveControl(
    { circleci, circleciToken, drills, flags, ...(options.fleet ? { fleet: fleetId(options.fleet) } : {}) },
    { host, ...(options.controlPort ? { port: options.controlPort } : {}), ...(options.controlKey ? { key: options.controlKey } : {}) },
  ).catch(async (error: unknown) => {
    await Promise.all([circleci.close(), closeAll()]);
    throw error;
  });

  return {
    controlUrl: control.url,
    circleci,
    circleciToken,
    drills,
    drill,
    flags,
    env: (id) => {
      const prefix = `ROTATE_${id.toUpperCase()}_`;
      const heldToken = heldTokenOf(drill(id), Boolean(options.fleet));
      // The old token's value is known in a drill, so the run can prove it dead afterwards.
      return {
        CIRCLECI_TOKEN: circleciToken,
        [`${prefix}PASSWORD`]: drill(id).account.password,
        [`${prefix}TOTP_SECRET`]: drill(id).account.totpSecret,
        ...(heldToken ? { [`${prefix}OLD_TOKEN`]: heldToken } : {}),
      };
    },
    async close() {
      await Promise.all([control.close(), circleci.close(), closeAll()]);
    },
  };
}
