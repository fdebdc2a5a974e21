// Preflight's "is the registry there at all": any HTTP answer but a redirect will do (a redirect
// elsewhere is refused by the outbound policy and named); no answer is a one-line reason.
import { NothingChangedError, OutboundRefusedError } from "../errors.js";
import { createHttp } from "./policy.js";

export async function reachable(url: string): Promise<void> {
  try {
    await createHttp({ timeoutMs: 15_000 }).get(url);
  } catch (error) {
    if (error instanceof OutboundRefusedError) throw error;
    const code = (error as { code?: string }).code ?? "no answer";
    throw new NothingChangedError(`cannot reach ${url} (${code}): check the network or the URL settings, then rerun`);
  }
}
