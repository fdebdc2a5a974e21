// The replicas are their own package (replicas/), a development dependency: present in a clone
// after `npm ci`, absent where rotate was installed for real use. Demo, sandbox and --sandbox
// load them here, on demand, and say so plainly when they are not there.
import { UsageError } from "../errors.js";

export type Replicas = typeof import("rotate-replicas");

export async function loadReplicas(): Promise<Replicas> {
  try {
    return await import("rotate-replicas");
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new UsageError(
      "the drill replicas are not installed (they ship with the source, not the package): clone rotate and run npm ci, then npm start or rotate sandbox from the clone",
    );
  }
}
