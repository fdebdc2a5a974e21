// Run inside the project's checkout, `rotate trust` points at the lines that still use the token
// variable; run elsewhere, it says where to run it instead. Which files can hold such lines is the
// registry's to say (TrustImplementation.tokenUses).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TokenUse } from "./capability.js";

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

export function tokenUseLines(uses: TokenUse[], envVar: string): string[] {
  if (uses.length === 0) return [];
  return [
    `  In this checkout, these lines use ${envVar} (change them with the job):`,
    ...uses.map((u) => `    ${u.file}:${u.line}: ${u.text}`),
  ];
}
