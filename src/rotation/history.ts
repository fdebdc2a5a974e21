// The project's rotation history: rotate.history.jsonl beside rotate.config.json, one line per
// CircleCI destination each time rotate confirms it holds a new token. Committed with the project,
// it tells everyone's `rotate status` what each variable holds and when that expires, not only the
// status of whoever ran the rotation (the audit record stays on that machine). Names, last four
// characters, dates and who; never a value. Drills write here too when run beside a config file,
// marked as drills, and status leaves them out: a rehearsal never stands for the real record.
import { dirname, join } from "node:path";
import { z } from "zod";
import { appendJsonLine, readJsonLines } from "../jsonl.js";
import type { Journal, JournalEntry } from "./journal.js";

export const HISTORY_FILE = "rotate.history.jsonl";

const HistoryLine = z.object({
  /** When CircleCI was confirmed holding the token. */
  at: z.string(),
  registry: z.string(),
  /** The rotation's name, when it was one of a fleet's (`rotations` in rotate.config.json). */
  rotation: z.string().optional(),
  envVar: z.string(),
  /** As --target names the destination: `gh/acme/widget` or `gh/acme/widget@publishing`. */
  target: z.string(),
  where: z.string(),
  tokenName: z.string(),
  last4: z.string(),
  created: z.string(),
  expires: z.string().nullable(),
  by: z.string(),
  drill: z.boolean(),
});
export type HistoryLine = z.infer<typeof HistoryLine>;

export class History {
  constructor(readonly path: string) {}

  /** The history of the project whose config file this is. */
  static beside(configPath: string): History {
    return new History(join(dirname(configPath), HISTORY_FILE));
  }

  /** Readable by the team, as the config file is: it goes into the repository. */
  append(line: HistoryLine): void {
    appendJsonLine(this.path, line, 0o644);
  }

  /** Every well-formed line of real rotations (drills left out), or of drills only. */
  rotations(kind: "real" | "drills" = "real"): HistoryLine[] {
    return readJsonLines(this.path, HistoryLine).filter((line) => line.drill === (kind === "drills"));
  }
}

/**
 * Hears the journal and appends a line for each destination as CircleCI is confirmed holding the
 * new token: a run that stops later (the old token would not go) still leaves the record true.
 */
export function historyRecorder(
  history: History,
  stamp: { by: string; drill: boolean },
): { path: string; listener: (entry: JournalEntry, journal: Journal) => void; written: () => number } {
  // Per journal: a fleet's rotations each keep one, with destinations numbered from 0.
  const recorded = new Map<Journal, Set<number>>();
  const listener = (entry: JournalEntry, journal: Journal) => {
    const { token, last4, expires } = journal.new;
    const created = journal.entries.find((e) => e.step === "create")?.at;
    if (entry.step !== "verify-circleci" || !token || !last4 || !created) return;
    const done = recorded.get(journal) ?? new Set<number>();
    recorded.set(journal, done);
    journal.destinations.forEach((destination, index) => {
      if (destination.state !== "verified" || done.has(index)) return;
      done.add(index);
      history.append({
        at: entry.at.toISOString(),
        registry: journal.registry,
        ...(journal.rotation ? { rotation: journal.rotation } : {}),
        envVar: destination.envVar,
        target: destination.target,
        where: destination.where,
        tokenName: token.name,
        last4,
        created: created.toISOString(),
        expires: expires?.toISOString() ?? null,
        ...stamp,
      });
    });
  };
  return { path: history.path, listener, written: () => [...recorded.values()].reduce((sum, done) => sum + done.size, 0) };
}
