// What every command receives instead of reaching for globals: the streams and the prompter, the
// environment, the clock, the Ctrl-C signal, the registries, and factories for the CircleCI
// client and the browser. cli.ts builds the real one; tests pass fakes.
import type { Prompter } from "./ask.js";
import type { FoundBrowser } from "./browser/finder.js";
import type { BrowserSession, LaunchOptions } from "./browser/launch.js";
import type { DiscoveryApi } from "./circleci/discovery.js";
import type { CircleciApi } from "./circleci/targets.js";
import type { TrustCircleciApi } from "./trust/circleci.js";
import type { IO } from "./io.js";
import type { Registry } from "./registry.js";
import type { Replicas } from "./drill/replicas.js";
import type { RetryNotice } from "./http/retry.js";
import type { Secret } from "./secrets/secret.js";

export interface CircleciClientRequest {
  baseUrl: string;
  token: Secret;
  onRetry?: (notice: RetryNotice) => void;
}

export interface Runtime {
  io: IO;
  prompter: Prompter;
  env: NodeJS.ProcessEnv;
  cwd: string;
  clock: () => Date;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  registries: Registry[];
  /** The calls of a rotation, of a move to trusted publishing, and of discovery. */
  circleci(request: CircleciClientRequest): CircleciApi & TrustCircleciApi & DiscoveryApi;
  findBrowser(explicitPath?: string, options?: { headless?: boolean }): FoundBrowser;
  launchBrowser(options: LaunchOptions): Promise<BrowserSession>;
  /** Rejects with a one-line reason when a URL cannot be reached. */
  reachable: (url: string) => Promise<void>;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** What could not be made safe on this machine (core dumps on, no Chromium sandbox): every plan says so. */
  cautions: string[];
  /** The drill replicas, a development dependency: absent where rotate was installed for real use. */
  replicas(): Promise<Replicas>;
}
