// While rotate works on a terminal and no question is open, keys typed there are neither echoed
// nor kept: a password typed a moment before its prompt appeared would otherwise be shown in
// clear by the terminal itself, then land in the wrong place. Ctrl-C still stops the run.
import type { Readable } from "node:stream";

type TtyIn = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

export interface KeyQuiet {
  /** on: swallow keys (no echo); off: give the terminal back (a prompt, or the end of the run). */
  set(on: boolean): void;
}

export function keyQuiet(stdin: TtyIn, interrupt: () => void = () => process.kill(process.pid, "SIGINT")): KeyQuiet {
  let on = false;
  const swallow = (chunk: Buffer | string) => {
    // Raw mode turns Ctrl-C into a byte instead of a signal: turn it back.
    if (chunk.toString().includes("\x03")) interrupt();
  };
  const set = (wanted: boolean) => {
    if (!stdin.isTTY || !stdin.setRawMode || wanted === on) return;
    on = wanted;
    if (on) {
      stdin.setRawMode(true);
      stdin.on("data", swallow);
      stdin.resume();
    } else {
      stdin.off("data", swallow);
      stdin.pause();
      stdin.setRawMode(false);
    }
  };
  // Whatever happens, the responder's shell gets its terminal back as it was.
  process.once("exit", () => set(false));
  return { set };
}
