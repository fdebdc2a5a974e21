// Searching for secrets where they must never be: in a run's output, and byte by byte in every
// file under the directories a run could write to. A secret also counts as found in its
// base64, base64url and URL-encoded forms.
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SandboxWorld } from "rotate-replicas";

export type Secrets = Map<string, string>;

function forms(value: string): string[] {
  return [...new Set([value, Buffer.from(value).toString("base64"), Buffer.from(value).toString("base64url"), encodeURIComponent(value)])];
}

/** Labels of the secrets that appear in the text, in any form. */
export function secretsIn(text: string, secrets: Secrets): string[] {
  return [...secrets].filter(([, value]) => forms(value).some((form) => text.includes(form))).map(([label]) => label);
}

/** Every file under the roots that holds a secret, with the secret's label. */
export function secretsOnDisk(roots: string[], secrets: Secrets): string[] {
  const needles = [...secrets].flatMap(([label, value]) => forms(value).map((form) => ({ label, bytes: Buffer.from(form) })));
  const hits: string[] = [];
  const visit = (path: string) => {
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      return; // gone while we looked (a browser profile being torn down)
    }
    if (stat.isDirectory()) {
      for (const entry of safeReaddir(path)) visit(join(path, entry));
      return;
    }
    if (!stat.isFile()) return;
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch {
      return;
    }
    for (const { label, bytes } of needles) if (content.includes(bytes)) hits.push(`${label} in ${path}`);
  };
  roots.forEach(visit);
  return hits;
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/**
 * Records every token value a registry is asked about (the token checks carry them), so the
 * values of tokens created and deleted during a run are known to the scans too. The rule never
 * matches, it only looks.
 */
export function watchTokenChecks(world: SandboxWorld, seen: Set<string>): void {
  world.pypi.faults.add({
    path: "/legacy/",
    when: (req) => {
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      if (basic) seen.add(Buffer.from(basic, "base64").toString().replace(/^__token__:/, ""));
      return false;
    },
    fault: { kind: "status", status: 500 },
  });
  world.npm.faults.add({
    path: "/-/whoami",
    when: (req) => {
      const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      if (bearer) seen.add(bearer);
      return false;
    },
    fault: { kind: "status", status: 500 },
  });
}

/** Everything secret in a world: credentials, the tokens it started with, and any seen since. */
export function worldSecrets(world: SandboxWorld, initialTokens: string[], seenTokens: Set<string>): Secrets {
  const secrets: Secrets = new Map([
    ["CircleCI token", world.circleciToken],
    ["PyPI password", world.accounts.pypi.password],
    ["PyPI TOTP secret", world.accounts.pypi.totpSecret],
    ["npm password", world.accounts.npm.password],
    ["npm TOTP secret", world.accounts.npm.totpSecret],
  ]);
  initialTokens.forEach((token, i) => secrets.set(`initial token ${i + 1}`, token));
  [...seenTokens].forEach((token, i) => secrets.set(`token seen by a check ${i + 1}`, token));
  for (const call of world.circleci.calls) {
    const value = (call.body as { value?: unknown } | undefined)?.value;
    if (typeof value === "string") secrets.set(`value pushed to CircleCI (${call.path})`, value);
  }
  return secrets;
}
