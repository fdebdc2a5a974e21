// Debugging switches that make rotate's own libraries print or record what they handle: page
// elements and form bodies (Playwright's pw:api and pw:protocol logs), request headers (Node's
// NODE_DEBUG=http, follow-redirects under DEBUG), the whole heap or environment (profiles, heap
// snapshots, diagnostic reports), TLS session keys, or a debugger attached to the process.
// rotate refuses to start while one is on: it is checked first thing, before any secret is read.
import { url as inspectorUrl } from "node:inspector";

export interface DebugSwitch {
  /** The variable or flag to remove. */
  name: string;
  /** What it turns on. */
  what: string;
}

/**
 * Node flags that turn on inspection or write the process's data out. Of the --trace family
 * only --trace-warnings and --trace-deprecation are let through: they add a stack of code
 * locations to a warning Node prints anyway. The others trace events to files in the working
 * directory, I/O, TLS, signals or exits, and the family grows with each Node version.
 */
const NODE_FLAGS: Array<{ flag: RegExp; what: string }> = [
  { flag: /^--(inspect|debug)(-brk|-wait|-port|-publish-uid)?(=|$)/, what: "the Node inspector (a debugger can read every value)" },
  { flag: /^--trace(?!-warnings$|-deprecation$)[-\w]*(=|$)/, what: "Node tracing" },
  { flag: /^--(cpu-prof|heap-prof|prof)([-\w]*)(=|$)/, what: "profiling that writes the process's state to disk" },
  {
    flag: /^--heapsnapshot-(signal|near-heap-limit)(=|$)/,
    what: "heap snapshots (every string in memory, secrets included, written to disk)",
  },
  { flag: /^--report-(on-signal|on-fatalerror|uncaught-exception)(=|$)/, what: "diagnostic reports (they include the environment)" },
  { flag: /^--tls-keylog(=|$)/, what: "a TLS key log (it decrypts recorded traffic)" },
];

/** Playwright's debug-logger namespaces are "pw:…"; debug's own patterns (comma or space separated, * wildcards, - excludes). */
function debugEnables(patterns: string, namespace: string): boolean {
  const matches = (pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*?")}$`).test(namespace);
  const items = patterns.split(/[\s,]+/).filter(Boolean);
  const excluded = items.filter((p) => p.startsWith("-")).some((p) => matches(p.slice(1)));
  return !excluded && items.filter((p) => !p.startsWith("-")).some(matches);
}

/**
 * Namespaces of the libraries rotate runs that log what they send: Playwright (pw:api quotes
 * elements, pw:protocol and pw:channel carry form bodies and evaluated values) and axios's
 * redirect and proxy layers (their "options" lines hold request headers).
 */
const LOGGING_NAMESPACES = [
  "pw:api",
  "pw:protocol",
  "pw:channel",
  "pw:browser",
  "pw:server",
  "pw:server:channel",
  "follow-redirects",
  "https-proxy-agent",
  "agent-base",
];

/** Playwright reads its switches from npm's config variables too (its getFromENV()). */
function playwrightSetting(env: NodeJS.ProcessEnv, name: string): { variable: string; value: string } | undefined {
  for (const variable of [name, `npm_config_${name.toLowerCase()}`, `npm_package_config_${name.toLowerCase()}`]) {
    const value = env[variable];
    if (value !== undefined) return { variable, value };
  }
  return undefined;
}

export function debugSwitchOn(
  env: NodeJS.ProcessEnv,
  execArgv: string[],
  inspectorActive: boolean = inspectorUrl() !== undefined,
): DebugSwitch | undefined {
  if (env.DEBUG && LOGGING_NAMESPACES.some((namespace) => debugEnables(env.DEBUG ?? "", namespace))) {
    return { name: "DEBUG", what: "debug logging that prints page elements, form bodies or request headers" };
  }
  const pwdebug = playwrightSetting(env, "PWDEBUG");
  if (pwdebug && !["", "0", "false"].includes(pwdebug.value))
    return { name: pwdebug.variable, what: "Playwright's inspector and its logs" };
  // Node warns itself that NODE_DEBUG=http "can expose sensitive data"; every selector is refused,
  // as net, tls, http2, fetch and undici print what they carry too.
  if (env.NODE_DEBUG) return { name: "NODE_DEBUG", what: "Node's internal debug logs (request headers among them)" };
  // Chromium (and Node with --tls-keylog) append TLS session keys to this file.
  if (env.SSLKEYLOGFILE) return { name: "SSLKEYLOGFILE", what: "a TLS key log (it decrypts recorded traffic)" };
  const sources: Array<[string, string[]]> = [
    ["NODE_OPTIONS", (env.NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean)],
    ["the node command line", execArgv],
  ];
  for (const [name, flags] of sources) {
    for (const flag of flags) {
      const found = NODE_FLAGS.find((candidate) => candidate.flag.test(flag));
      if (found) return { name: `${name} (${flag.split("=")[0]})`, what: found.what };
    }
  }
  // Attached some other way (inspector.open() in a preload, say).
  if (inspectorActive) return { name: "the Node inspector", what: "a debugger that can read every value" };
  return undefined;
}

/** The one line rotate prints before exiting with 2. */
export function refusal(found: DebugSwitch): string {
  return `rotate: ${found.name} turns on ${found.what}, which can print or record secrets: turn it off and run again`;
}
