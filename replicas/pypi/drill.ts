// The PyPI replica as the drill world uses it: one account with a project, the token an earlier
// rotation left in CircleCI, and where the fault matrix hooks in.
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import { daysAgo, stamp, type StartDrill } from "../shared/drill.js";
import { startPypiReplica } from "./replica.js";

const ACCOUNT = { username: "widget-publisher", email: "publishing@demo.invalid", project: "widget", otherProjects: ["widget-docs"] };

export const startDrill: StartDrill = async ({ now, host, projectSlug, context }) => {
  const account = { username: ACCOUNT.username, password: randomBytes(18).toString("base64url"), totpSecret: new OTPAuth.Secret({ size: 20 }).base32 };
  const replica = await startPypiReplica({ host, now, users: [{ ...account, email: ACCOUNT.email, projects: [ACCOUNT.project, ...ACCOUNT.otherProjects] }] });
  const earlier = daysAgo(now(), 60);
  const issue = (destination: string) => replica.issueToken(account.username, { description: `PYPI_TOKEN ${destination} ${stamp(earlier)}`, project: ACCOUNT.project, created: earlier });
  return {
    id: "pypi",
    replica,
    account,
    flags: { pypiUrl: replica.url, pypiUploadUrl: replica.uploadUrl, pypiProject: ACCOUNT.project, pypiUser: account.username },
    envVar: "PYPI_TOKEN",
    heldToken: issue(projectSlug),
    contextToken: issue(`${projectSlug}@${context}`),
    faults: replica.faults,
    points: {
      check: { method: "POST", path: "/legacy/" },
      deadAnswer: { kind: "status", status: 403, body: "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information." },
      create: { method: "POST", path: "/manage/account/token/", when: (req) => !("confirm_password" in (req.body as object)) },
      sessionEnd: { point: { method: "GET", path: "/manage/account/token/" }, fault: { kind: "session-expired" }, skip: 1 },
      remove: { method: "POST", path: "/manage/account/token/", when: (req) => "confirm_password" in (req.body as object) },
    },
    issuedSecrets: () => replica.issuedSecrets(),
    tokenNames: () => replica.tokens(account.username).map((t) => t.description),
    isLive: (token) => replica.isLive(token),
    resetLink: (username) => replica.resetLink(username),
    close: () => replica.close(),
  };
};
