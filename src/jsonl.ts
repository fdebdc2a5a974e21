// The JSON Lines files rotate keeps (the audit record, the project's rotation history): one object
// a line. On the way in every string is made inert (no control sequence or line break a server or
// page slipped into a detail: someone reads these in a terminal, or with `jq -r`) and the whole line
// passes the redactor, in case a detail quoted a secret. On the way out a damaged line is skipped
// rather than failing the reader.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import type { z } from "zod";
import { inertLine } from "./secrets/inert.js";
import { redact } from "./secrets/secret.js";

export function appendJsonLine(path: string, line: object, mode: number): void {
  const inertValues = (_key: string, value: unknown) => (typeof value === "string" ? inertLine(value) : value);
  appendFileSync(path, `${redact(JSON.stringify(line, inertValues))}\n`, { mode });
}

export function readJsonLines<T>(path: string, schema: z.ZodType<T>): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .flatMap((text) => {
      try {
        const parsed = schema.safeParse(JSON.parse(text));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
}
