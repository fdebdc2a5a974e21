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
 * Everything secret in a world: the CircleCI token, each drill account's password and TOTP secret,
 * every value a replica ever issued (tokens seeded, created and deleted during the run, session
 * tokens, codes), and every value pushed to CircleCI.
 */
export function worldSecrets(world: SandboxWorld): Secrets {
  const secrets: Secrets = new Map([["CircleCI token", world.circleciToken]]);
  for (const drill of world.drills) {
    secrets.set(`${drill.id} password`, drill.account.password);
    secrets.set(`${drill.id} TOTP secret`, drill.account.totpSecret);
    drill.issuedSecrets().forEach((value, i) => secrets.set(`${drill.id} secret ${i + 1}`, value));
  }
  for (const call of world.circleci.calls) {
    const value = (call.body as { value?: unknown } | undefined)?.value;
    if (typeof value === "string") secrets.set(`value pushed to CircleCI (${call.path})`, value);
  }
  return secrets;
}
