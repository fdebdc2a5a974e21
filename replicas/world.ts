// The drill world: all three replicas on 127.0.0.1 with one demo project whose CircleCI
// variables hold tokens made by an earlier (pretend) rotation. `npm start`, `rotate sandbox`
// and `--sandbox` all run in it. Its credentials are random per start and exist only in memory.
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import { startCircleciReplica, type CircleciReplica } from "./circleci/replica.js";
import { startNpmReplica, type NpmReplica } from "./npm/replica.js";
import { startPypiReplica, type PypiReplica } from "./pypi/replica.js";
import { DEMO } from "./demo.js";

export interface DrillAccount {
  username: string;
  password: string;
  totpSecret: string;
}

export interface SandboxWorld {
  circleci: CircleciReplica;
  pypi: PypiReplica;
  npm: NpmReplica;
  circleciToken: string;
  accounts: { pypi: DrillAccount; npm: DrillAccount };
  /** Flag values (commander attribute names) that point `rotate <id>` at this world. */
  flags(registryId: string): Record<string, unknown>;
  /** Environment for a non-interactive run of `rotate <id>` in this world (credentials, the old token). */
  env(registryId: string): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

const randomPassword = () => randomBytes(18).toString("base64url");
const randomTotpSecret = () => new OTPAuth.Secret({ size: 20 }).base32;
const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * 86_400_000);
const stamp = (date: Date) => `${date.toISOString().slice(0, 16)}Z`;

export interface WorldOptions {
  now?: () => Date;
  host?: string;
  /** The npm account's second factor: "webauthn" drills the security-key hand-off. */
  npmTwoFactor?: "totp" | "webauthn";
}

export async function startSandboxWorld(options: WorldOptions = {}): Promise<SandboxWorld> {
  const now = options.now ?? (() => new Date());
  const host = options.host ?? "127.0.0.1";
  const accounts = {
    pypi: { username: DEMO.pypi.username, password: randomPassword(), totpSecret: randomTotpSecret() },
    npm: { username: DEMO.npm.username, password: randomPassword(), totpSecret: randomTotpSecret() },
  };
  const circleciToken = `CCIPAT_${randomBytes(16).toString("hex").slice(0, 22)}_${randomBytes(20).toString("hex")}`;

  const pypi = await startPypiReplica({
    host,
    now,
    users: [{ ...accounts.pypi, email: DEMO.pypi.email, projects: [DEMO.pypi.project, ...DEMO.pypi.otherProjects] }],
  });
  const npm = await startNpmReplica({
    host,
    now,
    users: [{ ...accounts.npm, email: DEMO.npm.email, twoFactor: options.npmTwoFactor ?? "totp", packages: [...DEMO.npm.packages], scopes: [...DEMO.npm.scopes], orgs: [...DEMO.npm.orgs] }],
  });

  // What an earlier rotation left: one token per registry, held by CircleCI; npm also has an
  // unrelated token so the old one must be told apart by its last four characters.
  const earlier = daysAgo(now(), 60);
  const oldPypiToken = pypi.issueToken(accounts.pypi.username, { description: `PYPI_TOKEN ${DEMO.projectSlug} ${stamp(earlier)}`, project: DEMO.pypi.project, created: earlier });
  const oldNpmToken = npm.issueToken(accounts.npm.username, {
    name: `NPM_TOKEN ${DEMO.projectSlug} ${stamp(earlier)}`,
    permission: "read-write",
    packages: [...DEMO.npm.packages],
    bypass2fa: true,
    expiresDays: 90,
    created: earlier,
  });
  npm.issueToken(accounts.npm.username, { name: "laptop (read-only)", permission: "read-only", packages: [...DEMO.npm.packages], expiresDays: 365, created: daysAgo(now(), 10) });

  const circleci = await startCircleciReplica({
    host,
    now,
    tokens: [{ value: circleciToken, user: { ...DEMO.circleciUser } }],
    projects: [{ slug: DEMO.projectSlug, organization: { ...DEMO.organization }, envVars: { PYPI_TOKEN: oldPypiToken, NPM_TOKEN: oldNpmToken } }],
    // For drills of the context variant (--context): the organization's publishing context.
    contexts: [{ name: DEMO.context, organizationId: DEMO.organization.id, envVars: { PYPI_TOKEN: oldPypiToken } }],
  });

  const perRegistry: Record<string, { flags: Record<string, unknown>; account: DrillAccount; oldToken: string }> = {
    pypi: {
      flags: { pypiUrl: pypi.url, pypiUploadUrl: pypi.uploadUrl, pypiProject: DEMO.pypi.project, pypiUser: accounts.pypi.username },
      account: accounts.pypi,
      oldToken: oldPypiToken,
    },
    npm: {
      flags: { npmUrl: npm.url, npmRegistryUrl: npm.registryUrl, npmPackages: DEMO.npm.packages.join(","), npmUser: accounts.npm.username },
      account: accounts.npm,
      oldToken: oldNpmToken,
    },
  };
  const entry = (id: string) => {
    const found = perRegistry[id];
    if (!found) throw new Error(`the sandbox has no replica for ${id}`);
    return found;
  };

  return {
    circleci,
    pypi,
    npm,
    circleciToken,
    accounts,
    flags: (id) => ({ ...entry(id).flags, circleciUrl: circleci.apiUrl, projectSlug: DEMO.projectSlug }),
    env: (id) => {
      const prefix = `ROTATE_${id.toUpperCase()}_`;
      const { account, oldToken } = entry(id);
      // The old token's value is known in a drill, so the run can prove it dead afterwards.
      return {
        CIRCLECI_TOKEN: circleciToken,
        [`${prefix}PASSWORD`]: account.password,
        [`${prefix}TOTP_SECRET`]: account.totpSecret,
        [`${prefix}OLD_TOKEN`]: oldToken,
      };
    },
    async close() {
      await Promise.all([circleci.close(), pypi.close(), npm.close()]);
    },
  };
}
