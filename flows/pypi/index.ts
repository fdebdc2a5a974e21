// PyPI as a registry plug-in: what it is, its settings, its token's shape, the origins its pages
// load from and what `rotate init` asks. PyPI has no token API, so every step is a page: the
// flow (flow.ts) loads only when a command runs.
import { variableNameProblem, type SettingsSection } from "../../src/settings/declarations.js";
import { defineRegistry } from "../../src/registry.js";

/**
 * A valid project name (PEP 508, as PyPI checks it: docs/sites/pypi.md, "Project names"); PyPI
 * compares names in their normalised form, so `Mozilla_Nimbus.Shared` is `mozilla-nimbus-shared`.
 */
function projectNameProblem(name: string): string | undefined {
  if (/^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$/i.test(name)) return undefined;
  return `"${name}" is not a PyPI project name: letters, digits, and -, _ or . between them, e.g. mozilla-nimbus-shared`;
}

const section: SettingsSection = {
  section: "pypi",
  // One token per rotation of an organisation's fleet: these it gives; the account and addresses are shared.
  tokenSettings: ["envVar", "project", "expiresDays"],
  scopeSetting: "project",
  settings: {
    envVar: {
      flag: "--env-var",
      env: "ROTATE_PYPI_ENV_VAR",
      kind: "string",
      describe: "CircleCI variable that holds the PyPI token",
      check: variableNameProblem,
      default: "PYPI_TOKEN",
    },
    project: {
      flag: "--pypi-project",
      env: "ROTATE_PYPI_PROJECT",
      kind: "string",
      describe: "PyPI project the new token is scoped to",
      check: projectNameProblem,
    },
    username: { flag: "--pypi-user", env: "ROTATE_PYPI_USERNAME", kind: "string", describe: "PyPI account username" },
    websiteUrl: { flag: "--pypi-url", env: "ROTATE_PYPI_URL", kind: "url", describe: "PyPI website URL", default: "https://pypi.org" },
    expiresDays: {
      flag: "--expires-days",
      env: "ROTATE_PYPI_EXPIRES_DAYS",
      kind: "number",
      describe:
        "days until the token CircleCI gets stops working: rotate adds an expiry caveat PyPI checks on upload (0 or unset: it never expires)",
    },
    uploadUrl: {
      flag: "--pypi-upload-url",
      env: "ROTATE_PYPI_UPLOAD_URL",
      kind: "url",
      describe: "PyPI upload endpoint used to check tokens",
      default: "https://upload.pypi.org/legacy/",
    },
  },
};

export const pypi = defineRegistry({
  id: "pypi",
  title: "PyPI",
  defaultEnvVar: "PYPI_TOKEN",
  section,
  // pypi- and a base64url macaroon of a hundred characters and more (docs/sites/pypi.md, "Token format").
  tokenPattern: /pypi-[A-Za-z0-9_-]{50,}/,
  // What the real pages load besides the site itself; the browser guard lets these serve
  // subresources only (anything else, analytics or ads, is refused at the cost of some styling).
  assetOrigins: [
    {
      origin: "https://fonts.googleapis.com",
      why: "the stylesheet that declares Warehouse's web fonts",
      source: "Warehouse's Content-Security-Policy, style-src (pypi/warehouse, warehouse/csp.py)",
    },
    {
      origin: "https://fonts.gstatic.com",
      why: "the web font files",
      source: "Warehouse's Content-Security-Policy, font-src (pypi/warehouse, warehouse/csp.py)",
    },
  ],
  initQuestions: [
    {
      key: "project",
      message: "PyPI project the token may upload to:",
      detect: async (cwd) => (await import("./project.js")).detectPypiProject(cwd),
    },
    { key: "username", message: "PyPI account username:", optional: true },
    {
      key: "expiresDays",
      // npm's limit for write tokens: both tokens come due together.
      message: "Days the PyPI token CircleCI gets should live (0: it never expires):",
      proposal: "90",
    },
  ],
  // PYPI_TOKEN and its prefixed and suffixed forms; and what the upload tools read: twine's
  // TWINE_PASSWORD, uv's UV_PUBLISH_TOKEN, Poetry's POETRY_PYPI_TOKEN_<REPOSITORY>, Flit's
  // FLIT_PASSWORD, Hatch's HATCH_INDEX_AUTH (each tool's publishing docs).
  discovery: {
    variableNames:
      /^(?:TWINE_PASSWORD|UV_PUBLISH_TOKEN|POETRY_PYPI_TOKEN_[A-Z0-9_]+|FLIT_PASSWORD|HATCH_INDEX_AUTH|(?:[A-Z0-9_]+_)?PYPI(?:_[A-Z0-9_]+)?_TOKEN)$/i,
    says: "PYPI_TOKEN, PYPI_*_TOKEN, *_PYPI_TOKEN, TWINE_PASSWORD, UV_PUBLISH_TOKEN, POETRY_PYPI_TOKEN_*, FLIT_PASSWORD, HATCH_INDEX_AUTH",
    scopeSetting: "project",
  },
  passwordReset: async () => (await import("./password.js")).pypiPasswordReset,
  load: async () => (await import("./flow.js")).pypiImplementation,
});
