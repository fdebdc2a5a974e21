// Preflight's "is the registry there at all": any HTTP answer will do; no answer is a one-line reason.
import { NothingChangedError } from "../errors.js";
import { createHttp } from "./policy.js";

export async function reachable(url: string): Promise<void> {
  try {
    const http = createHttp({ timeout: 15_000, maxRedirects: 0, validateStatus: () => true });
    await http.get(url);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "no answer";
    throw new NothingChangedError(`cannot reach ${url} (${code}): check the network or the URL settings, then rerun`);
  }
}
