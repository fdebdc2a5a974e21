// The PyPI replica as the drill world uses it: one account with a project, the token an earlier
// rotation left in CircleCI, and where the fault matrix hooks in. The knob `extraTokens` fills the
// account with that many more tokens for other destinations, so a list can be as long as a busy
// account's (the benchmark's 50 and 200). A drill of an organisation's fleet also owns every project
// its rotations name, each rotation holding a token an earlier rotation made.
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import { daysAgo, fleetTokenName, stamp, type StartDrill } from "../shared/drill.js";
import { startPypiReplica } from "./replica.js";

const ACCOUNT = { username: "widget-publisher", email: "publishing@demo.invalid", project: "widget", otherProjects: ["widget-docs"] };

export const startDrill: StartDrill = async ({ now, host, projectSlug, context, knobs, fleet = [] }) => {
  const account = {
    username: ACCOUNT.username,
    password: randomBytes(18).toString("base64url"),
    totpSecret: new OTPAuth.Secret({ size: 20 }).base32,
  };
  const replica = await startPypiReplica({
    host,
    now,
    users: [
      {
        ...account,
        email: ACCOUNT.email,
        projects: [...new Set([ACCOUNT.project, ...ACCOUNT.otherProjects, ...fleet.flatMap((rotation) => rotation.scope)])],
      },
    ],
  });
  const earlier = daysAgo(now(), 60);
  const issue = (destination: string) =>
    replica.issueToken(account.username, {
      description: `PYPI_TOKEN ${destination} ${stamp(earlier)}`,
      project: ACCOUNT.project,
      created: earlier,
    });
  for (let i = 1; i <= Number(knobs?.extraTokens ?? 0); i++) {
    // Other projects' tokens, made by earlier rotations of theirs: never this destination's.
    const created = daysAgo(now(), i % 90);
    replica.issueToken(account.username, {
      description: `PYPI_TOKEN gh/demo-org/project-${i} ${stamp(created)}`,
      project: ACCOUNT.otherProjects[0],
      created,
    });
  }
  const fleetTokens = fleet.map((rotation) =>
    replica.issueToken(account.username, { description: fleetTokenName(rotation, earlier), project: rotation.scope[0], created: earlier }),
  );
  // A fleet names its own projects: the drill gives only the account and the addresses.
  const flags = { pypiUrl: replica.url, pypiUploadUrl: replica.uploadUrl, pypiUser: account.username };
  return {
    id: "pypi",
    replica,
    // What the "password manager" holds: the password now, also after a drill of `rotate password`.
    account: {
      username: account.username,
      totpSecret: account.totpSecret,
      get password() {
        return replica.password(account.username);
      },
    },
    flags: fleet.length > 0 ? flags : { ...flags, pypiProject: ACCOUNT.project },
    envVar: "PYPI_TOKEN",
    heldToken: issue(projectSlug),
    contextToken: issue(`${projectSlug}@${context}`),
    fleetTokens,
    faults: replica.faults,
    points: {
      check: { method: "POST", path: "/legacy/" },
      deadAnswer: {
        kind: "status",
        status: 403,
        body: "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.",
      },
      create: { method: "POST", path: "/manage/account/token/", when: (req) => !("confirm_password" in (req.body as object)) },
      // The account page is fetched for the inventory; the second time is the delete's, after the
      // new token went to CircleCI: the session ends there.
      sessionEnd: { point: { method: "GET", path: "/manage/account/" }, fault: { kind: "session-expired" }, skip: 1 },
      remove: { method: "POST", path: "/manage/account/token/", when: (req) => "confirm_password" in (req.body as object) },
      signIn: { method: "POST", path: "/account/login/" },
      codes: [{ method: "POST", path: "/account/two-factor/" }],
    },
    issuedSecrets: () => replica.issuedSecrets(),
    tokenNames: () => replica.tokens(account.username).map((t) => t.description),
    isLive: (token) => replica.isLive(token),
    resetLink: (username) => replica.resetLink(username),
    close: () => replica.close(),
  };
};
