// The upload endpoint (/legacy/ on the upload host) on its own origin, up to the permission check:
// identity, protocol version, metadata, the file, then the token's signature and caveats against the
// project (docs/sites/pypi.md, "Upload-endpoint probe" and "Verifying a token on upload"). The
// side-effect-free probe stops at the metadata, before any signature is checked. It never writes
// `last_used`: pypi.org sets it when the signature checks out, and the upload's later failure rolls it back.
import express, { type Express, type Request, type Response } from "express";
import multer from "multer";
import type { FaultPlan } from "../shared/faults.js";
import { html } from "../shared/html.js";
import type { PypiDirectory } from "./directory.js";
import { requestParam } from "./params.js";
import { EXPLANATIONS, webobError, webobErrorHandler } from "./webob.js";

const MESSAGES = {
  invalidAuth: "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.",
  // (inferred) the text after "See"; the reference elides it.
  passwordAuth:
    "Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead. See https://pypi.org/help/#apitoken and https://pypi.org/help/#trusted-publishers",
  protocol: "Unknown protocol version.",
  noName:
    "'' is an invalid value for Name. Error: This field is required. See https://packaging.python.org/specifications/core-metadata for more information.",
  // After the metadata form, of which the replica asks only the name (forklift/legacy.py `file_upload`).
  noFile: "Upload payload does not have a file.",
  // The permission check's denial (macaroons/security_policy.py `permits`), which the upload's 403 carries.
  invalidToken: (reason: string) => `Invalid API Token: ${reason}`,
  // The token holds, but its user has no role on the project (forklift/legacy.py `file_upload`).
  noRole: (username: string, project: string) =>
    `The user '${username}' isn't allowed to upload to project '${project}'. See https://pypi.org/help/#project-name for more information.`,
  // Replica limit: past the permission check (2FA, files, the release) is out of scope.
  beyondPermission:
    "This replica checks an upload's token and stops there: the token may upload to this project, and nothing was published.",
};

export function uploadApp(directory: PypiDirectory, faults: FaultPlan): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.urlencoded({ extended: false }));
  // Memory storage (multer's default without `dest`): nothing reaches the disk.
  app.use(multer({ limits: { fileSize: 1024 * 1024 } }).any());
  app.use(faults.middleware());
  app.post("/legacy/", (req, res, next) => (requestParam(req, ":action") === "file_upload" ? fileUpload(directory, req, res) : next()));
  app.all(["/", "/legacy/"], (_req, res) => {
    // (inferred) the route only matches with `:action`; anything else gets an informational page.
    res.send(
      `<!DOCTYPE html>\n${String(html`<html lang="en"><head><meta charset="utf-8"><title>Upload · PyPI</title></head><body>
<h1>PyPI upload endpoint</h1>
<p>This URL is an API endpoint for uploading files to PyPI. For more information on uploading projects to PyPI, visit the <a href="https://packaging.python.org/tutorials/packaging-projects/">Python Packaging User Guide</a>.</p>
</body></html>`)}`,
    );
  });
  app.use(webobErrorHandler);
  return app;
}

/** `file_upload`'s checks in order; each failure's message is the reason phrase and the detail. */
function fileUpload(directory: PypiDirectory, req: Request, res: Response): void {
  const credential = presentedToken(req.get("authorization"));
  if (credential.kind === "password") return refuse(res, 403, MESSAGES.passwordAuth);
  if (credential.kind === "none" || !directory.tokenOwner(credential.token)) return refuse(res, 403, MESSAGES.invalidAuth);
  if ((requestParam(req, "protocol_version") ?? "1") !== "1") return refuse(res, 400, MESSAGES.protocol);
  const name = requestParam(req, "name");
  if (!name) return refuse(res, 400, MESSAGES.noName);
  const files = (req.files ?? []) as Express.Multer.File[];
  if (!files.some((file) => file.fieldname === "content") && requestParam(req, "content") === undefined)
    return refuse(res, 400, MESSAGES.noFile);
  const permission = directory.uploadPermission(credential.token, name);
  if (permission.kind === "invalid-token") return refuse(res, 403, MESSAGES.invalidToken(permission.reason));
  if (permission.kind === "no-role") return refuse(res, 403, MESSAGES.noRole(permission.username, permission.project));
  refuse(res, 400, MESSAGES.beyondPermission);
}

function refuse(res: Response, status: 400 | 403, message: string): void {
  webobError(res, { status, reason: message, explanation: EXPLANATIONS[status], detail: message });
}

type Credential = { kind: "token"; token: string } | { kind: "password" } | { kind: "none" };

/** `_extract_http_macaroon`: Basic with user `__token__`, or the `token` / `bearer` schemes. */
function presentedToken(authorization: string | undefined): Credential {
  const space = authorization?.indexOf(" ") ?? -1;
  if (!authorization || space < 0) return { kind: "none" };
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (scheme === "token" || scheme === "bearer") return { kind: "token", token: value };
  if (scheme !== "basic") return { kind: "none" };
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return { kind: "none" };
  return decoded.slice(0, colon) === "__token__" ? { kind: "token", token: decoded.slice(colon + 1) } : { kind: "password" };
}
