// The npm replica as the drill world uses it: one account maintaining the demo packages, the token
// an earlier rotation left in CircleCI plus an unrelated one (so the old token must be told apart
// by its last four characters), and where the fault matrix hooks in. The knob `extraTokens` fills
// the account with that many more tokens for other projects, so a list can be as long as a busy
// account's (the benchmark's 50 and 200). A drill of an organisation's fleet also maintains every
// package and scope its rotations name, each rotation holding a token an earlier rotation made.
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import { daysAgo, fleetTokenName, stamp, type StartDrill } from "../shared/drill.js";
import { startNpmReplica } from "./replica.js";

const ACCOUNT = {
  username: "widget-publisher",
  email: "publishing@demo.invalid",
  packages: ["@demo-org/widget", "demo-widget"],
  scopes: ["@demo-org"],
  orgs: ["demo-org"],
};

/** "@scope" alone is a scope (of the organization of that name); "@scope/name" and "name" are packages. */
const isScope = (item: string) => item.startsWith("@") && !item.includes("/");

export const startDrill: StartDrill = async ({ now, host, projectSlug, context, knobs, fleet = [] }) => {
  const account = {
    username: ACCOUNT.username,
    password: randomBytes(18).toString("base64url"),
    totpSecret: new OTPAuth.Secret({ size: 20 }).base32,
  };
  const fleetScope = fleet.flatMap((rotation) => rotation.scope);
  const twoFactor = knobs?.twoFactor === "webauthn" || knobs?.twoFactor === "none" ? knobs.twoFactor : "totp";
  const replica = await startNpmReplica({
    host,
    now,
    users: [
      {
        ...account,
        email: ACCOUNT.email,
        twoFactor,
        packages: [...new Set([...ACCOUNT.packages, ...fleetScope.filter((item) => !isScope(item))])],
        scopes: [...new Set([...ACCOUNT.scopes, ...fleetScope.filter(isScope)])],
        orgs: [...new Set([...ACCOUNT.orgs, ...fleetScope.filter(isScope).map((scope) => scope.slice(1))])],
      },
    ],
  });
  const earlier = daysAgo(now(), 60);
  const issue = (destination: string) =>
    replica.issueToken(account.username, {
      name: `NPM_TOKEN ${destination} ${stamp(earlier)}`,
      permission: "read-write",
      packages: [...ACCOUNT.packages],
      bypass2fa: true,
      expiresDays: 90,
      created: earlier,
    });
  const heldToken = issue(projectSlug);
  const contextToken = issue(`${projectSlug}@${context}`);
  replica.issueToken(account.username, {
    name: "laptop (read-only)",
    permission: "read-only",
    packages: [...ACCOUNT.packages],
    expiresDays: 365,
    created: daysAgo(now(), 10),
  });
  for (let i = 1; i <= Number(knobs?.extraTokens ?? 0); i++) {
    // Other projects' tokens, made by earlier rotations of theirs: never this destination's.
    replica.issueToken(account.username, {
      name: `NPM_TOKEN gh/demo-org/project-${i} ${stamp(daysAgo(now(), i % 90))}`,
      permission: "read-write",
      packages: [...ACCOUNT.packages],
      bypass2fa: true,
      expiresDays: 90,
      created: daysAgo(now(), i % 90),
    });
  }
  const fleetTokens = fleet.map((rotation) =>
    replica.issueToken(account.username, {
      name: fleetTokenName(rotation, earlier),
      permission: "read-write",
      packages: rotation.scope.filter((item) => !isScope(item)),
      bypass2fa: true,
      expiresDays: 90,
      created: earlier,
    }),
  );
  // A fleet names its own packages: the drill gives only the account and the addresses.
  const flags = { npmUrl: replica.url, npmRegistryUrl: replica.registryUrl, npmUser: account.username };
  return {
    id: "npm",
    replica,
    // What the "password manager" holds: the password now, also after a drill of `rotate password`.
    account: {
      username: account.username,
      totpSecret: account.totpSecret,
      get password() {
        return replica.password(account.username);
      },
    },
    flags: fleet.length > 0 ? flags : { ...flags, npmPackages: ACCOUNT.packages.join(",") },
    envVar: "NPM_TOKEN",
    heldToken,
    contextToken,
    fleetTokens,
    faults: replica.faults,
    // rotate npm's default path: the registry's tokens API (the website's pages with --via website).
    points: {
      check: { method: "GET", path: "/-/whoami" },
      deadAnswer: { kind: "status", status: 401, headers: { "Content-Type": "application/json" }, body: '{"error":"Unauthorized"}' },
      create: { method: "POST", path: "/-/npm/v1/tokens" },
      // The inventory's list goes through; the one that proves the old token gone finds the session ended.
      sessionEnd: {
        point: { method: "GET", path: "/-/npm/v1/tokens" },
        fault: { kind: "status", status: 401, headers: { "Content-Type": "application/json" }, body: '{"error":"Unauthorized"}' },
        skip: 1,
      },
      remove: { method: "DELETE", path: /^\/-\/npm\/v1\/tokens\/token\// },
      // The registry's web login starts a sign-in on rotate's default path (docs/sites/npm.md, "Web login").
      signIn: { method: "POST", path: "/-/v1/login" },
      // A code is typed on the website's second-factor pages, or sent in the npm-otp header of an API call.
      codes: [
        { method: "POST", path: /^\/(login|escalate)\/otp$/ },
        { path: /./, when: (req) => Boolean(req.get("npm-otp")) },
      ],
    },
    issuedSecrets: () => replica.issuedSecrets(),
    tokenNames: () => replica.tokens(account.username).map((t) => t.name),
    isLive: (token) => replica.isLive(token),
    resetLink: (username) => replica.resetLink(username),
    trustOidcIssuer: (issuerBase) => replica.trustOidcIssuer(issuerBase),
    close: () => replica.close(),
  };
};
