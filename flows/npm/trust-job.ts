// The CircleCI half of trusted publishing, which rotate cannot change itself: the publish job
// fetches an OIDC id token with npm's audience into NPM_ID_TOKEN in the same step as the publish,
// with a recent enough npm and Node (docs/sites/npm.md, "Trusted publishing from CircleCI"); and
// the lines of the project's checkout (its CircleCI config, its .npmrc) that still use the token.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inert } from "../../src/secrets/inert.js";
import type { JobChangeOptions, TokenUse } from "../../src/trust/capability.js";
import { audienceFor } from "./trust.js";

/** npm's docs say Node 22.14.0 or newer for trusted publishing. */
export const MIN_NODE = "22.14.0";
/** The first npm that recognises CircleCI's id token; older ones ignore NPM_ID_TOKEN [I]. */
export const MIN_NPM = "11.11.0";
/** `npm stage publish` needs this npm. */
export const MIN_NPM_STAGE = "11.15.0";

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

const MAX_USES = 20;
// A token written straight into a file would be shown on the terminal: show its kind, not its value.
const TOKEN_LIKE = /npm_[A-Za-z0-9]{36}/g;

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
