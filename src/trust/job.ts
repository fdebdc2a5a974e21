// The CircleCI half of trusted publishing, which rotate cannot change itself: the publish job
// fetches an OIDC id token with npm's audience into NPM_ID_TOKEN in the same step as the publish,
// with a recent enough npm and Node (docs/sites/npm.md, "Trusted publishing from CircleCI"). Run
// inside the project's checkout, it also points at the lines that still use the token variable.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TrustAction } from "../../flows/npm/trust.js";
import { audienceFor } from "../../flows/npm/trust.js";
import type { CircleciContext } from "../circleci/client.js";
import { inert } from "../secrets/inert.js";

/** npm's docs say Node 22.14.0 or newer for trusted publishing. */
export const MIN_NODE = "22.14.0";
/** The first npm that recognises CircleCI's id token; older ones ignore NPM_ID_TOKEN [I]. */
export const MIN_NPM = "11.11.0";
/** `npm stage publish` needs this npm. */
export const MIN_NPM_STAGE = "11.15.0";

export interface JobChangeOptions {
  registryUrl: string;
  actions: TrustAction[];
  /** Contexts the configuration requires: the publish job must use them. */
  contexts: CircleciContext[];
  /** The config file the pipeline definition runs. */
  configFile: string;
  envVar: string;
}

/** The change to paste, and what to remove, as lines for the terminal. */
export function jobChange(options: JobChangeOptions): string[] {
  const stage = options.actions.includes("createStagedPackage");
  const publish = options.actions.includes("createPackage");
  const npmVersion = stage ? MIN_NPM_STAGE : MIN_NPM;
  const command = publish ? "npm publish" : "npm stage publish";
  const host = new URL(options.registryUrl).hostname;
  // As npm's and CircleCI's docs write it; only `aud` may be customised.
  const claims = `{"aud": ${JSON.stringify(audienceFor(options.registryUrl))}}`;
  const contextNames = options.contexts.map((c) => c.name);
  return [
    `The publish job's change, ready to paste into ${options.configFile}:`,
    "    jobs:",
    "      publish:",
    "        docker:",
    `          - image: cimg/node:22.14        # Node ${MIN_NODE} or newer`,
    "        steps:",
    "          - checkout",
    "          - run:",
    "              name: Publish to npm through trusted publishing",
    "              command: |",
    `                npm install --global npm@^${npmVersion}    # npm ${npmVersion} or newer; cimg/node:22.14 ships npm 10`,
    `                export NPM_ID_TOKEN="$(circleci run oidc get --claims '${claims}')"`,
    `                ${command}${publish && stage ? "    # or: npm stage publish" : ""}`,
    ...(contextNames.length > 0
      ? [
          `  The workflow must run it with the context${contextNames.length > 1 ? "s" : ""} npm requires:  context: [${contextNames.join(", ")}]`,
        ]
      : []),
    "  Fetch the id token in the same `run` step as the publish, right before it: npm takes it only in its first minutes.",
    `  Remove ${options.envVar} from the job: no \`//${host}/:_authToken=\${${options.envVar}}\` line in .npmrc, no ${options.envVar} anywhere.`,
  ];
}

/** A line of the checkout that uses the token variable. */
export interface TokenUse {
  file: string;
  line: number;
  text: string;
}

const MAX_USES = 20;
// A token written straight into a file would be shown on the terminal: show its kind, not its value.
const TOKEN_LIKE = /npm_[A-Za-z0-9]{36}/g;

/**
 * Whether the working directory may be the project's checkout: not when its git remotes all name
 * another repository. A directory rotate cannot tell about (no git config) is looked at.
 */
export function mayBeCheckoutOf(cwd: string, vcsOrigin: string): boolean {
  const config = join(cwd, ".git", "config");
  if (!existsSync(config)) return true;
  const urls = readFileSync(config, "utf8")
    .split(/\r?\n/)
    .flatMap((line) => /^\s*url\s*=\s*(\S+)/.exec(line)?.[1] ?? []);
  const repository = vcsOrigin.split("/").slice(1).join("/").toLowerCase();
  // `org/repo` right after the host's `/` or scp-style `:`, so `notacme/widget` is not `acme/widget`.
  const names = (url: string) =>
    [":", "/"].some((sep) =>
      url
        .toLowerCase()
        .replace(/\.git$/, "")
        .replace(/\/+$/, "")
        .endsWith(`${sep}${repository}`),
    );
  return urls.length === 0 || urls.some(names);
}

/** The lines of the pipeline's config file and the checkout's .npmrc that name the variable. */
export function tokenUses(cwd: string, configFile: string, envVar: string): TokenUse[] {
  const word = new RegExp(`\\b${envVar.replace(/[^A-Za-z0-9_]/g, "")}\\b`);
  const uses: TokenUse[] = [];
  for (const file of [configFile, ".npmrc"]) {
    const path = join(cwd, file);
    if (!existsSync(path)) continue;
    readFileSync(path, "utf8")
      .split(/\r?\n/)
      .forEach((text, index) => {
        if (word.test(text)) uses.push({ file, line: index + 1, text: inert(text.trim()).replace(TOKEN_LIKE, "npm_…") });
      });
  }
  return uses.slice(0, MAX_USES);
}

export function tokenUseLines(uses: TokenUse[], envVar: string): string[] {
  if (uses.length === 0) return [];
  return [
    `  In this checkout, these lines use ${envVar} (change them with the job):`,
    ...uses.map((u) => `    ${u.file}:${u.line}: ${u.text}`),
  ];
}
