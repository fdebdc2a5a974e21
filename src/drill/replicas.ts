// The replicas are their own package (replicas/): a development dependency in a clone after
// `npm ci`, and a second package the README's install line puts beside the installed tool (so the
// tool's own dependencies stay without the replica stack). Demo, sandbox and --sandbox load them
// here, on demand, and say plainly how to get them when they are not there.
import { UsageError } from "../errors.js";

export type Replicas = typeof import("rotate-replicas");

export async function loadReplicas(): Promise<Replicas> {
  try {
    return await import("rotate-replicas");
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new UsageError(
      'the drill replicas are not installed beside rotate: in a clone of rotate, after npm ci, install both with npm install --global "$(npm pack --silent)" "$(npm pack --silent ./replicas)"',
    );
  }
}
