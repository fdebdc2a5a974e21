// The browser guard's floor. Playwright hands the guard the requests it intercepts, but some
// never reach it: a fresh popup's first request and a download can leave before Playwright
// routes them, a redirect's next hop after the guard allowed the first is followed by Chromium
// alone, and once a page is being closed Playwright stops routing its requests and Chromium
// lets the waiting ones go. The browser is told to send everything through this proxy except
// what goes to the allowed origins; the proxy answers nothing, so those requests fail, and it
// reports what each one was (its first bytes: for plain HTTP, the request line with the URL).
// A proxied host is resolved by the proxy, so the browser does not look it up either.
import { createServer, type Socket } from "node:net";

export interface RefusingProxy {
  /** For Chromium's --proxy-server. */
  server: string;
  close(): Promise<void>;
}

export async function startRefusingProxy(onAttempt: (request: string) => void): Promise<RefusingProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.once("data", (chunk: Buffer) => {
      socket.destroy();
      onAttempt(chunk.toString("latin1"));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    server: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

/**
 * Chromium's proxy bypass rules for the allowed origins ("scheme://host:port"), after taking
 * away the implicit bypass for loopback addresses, which Chromium would otherwise reach
 * directly. Order matters: a later rule wins over an earlier one.
 */
export function bypassRules(origins: string[]): string {
  return ["<-loopback>", ...origins].join(";");
}
