import { createServer, connect, type Server, type Socket } from "node:net";

/** What the proxy does with connections: pass them to the target, refuse them, or answer every request itself. */
export type ProxyMode = { kind: "pass" } | { kind: "refuse" } | { kind: "answer"; status: number; body: string; contentType?: string; retryAfter?: string };

export interface FaultProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  /** The target's port (known once the system runs). */
  setTarget(port: number): void;
  /** Switches mode; open connections are cut, so pooled keep-alive sockets cannot bypass it. */
  mode(mode: ProxyMode): Promise<void>;
  /** Requests answered by the proxy itself since the last reset. */
  answered(): number;
  resetCount(): void;
  stop(): Promise<void>;
}

const reason: Record<number, string> = { 401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests", 502: "Bad Gateway", 503: "Service Unavailable" };

/**
 * A loopback TCP proxy in front of a sandbox, for target-wide faults the sandboxes cannot play:
 * a web server answering 503 or 401 for everyone (another client's budget, a rotated password)
 * and a base that refuses connections (the listening socket really closed).
 */
export async function startFaultProxy(): Promise<FaultProxy> {
  let target: number | null = null;
  let current: ProxyMode = { kind: "pass" };
  let answered = 0;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const onConnection = (client: Socket) => {
    track(client);
    const mode = current;
    if (mode.kind === "answer") {
      client.once("data", () => {
        answered++;
        const body = Buffer.from(mode.body);
        const head = [
          `HTTP/1.1 ${mode.status} ${reason[mode.status] ?? "Error"}`,
          `content-type: ${mode.contentType ?? "application/json"}`,
          `content-length: ${body.length}`,
          ...(mode.retryAfter ? [`retry-after: ${mode.retryAfter}`] : []),
          "connection: close",
          "",
          "",
        ].join("\r\n");
        client.end(Buffer.concat([Buffer.from(head), body]));
      });
      return;
    }
    if (target === null) return void client.destroy();
    const upstream = connect(target, "127.0.0.1");
    track(upstream);
    client.pipe(upstream).pipe(client);
    upstream.on("close", () => client.destroy());
    client.on("close", () => upstream.destroy());
  };
  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
    });
  const port = await listen(0);
  const cut = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    port,
    via: (url) => {
      const u = new URL(url);
      u.host = `127.0.0.1:${port}`;
      return u.toString();
    },
    setTarget: (p) => {
      target = p;
    },
    mode: async (mode) => {
      const wasRefusing = current.kind === "refuse";
      current = mode;
      cut();
      if (mode.kind === "refuse" && !wasRefusing) await new Promise((resolve) => server.close(resolve));
      if (mode.kind !== "refuse" && wasRefusing) {
        server = createServer(onConnection);
        await listen(port);
      }
    },
    answered: () => answered,
    resetCount: () => {
      answered = 0;
    },
    stop: async () => {
      cut();
      if (current.kind !== "refuse") await new Promise((resolve) => server.close(resolve));
    },
  };
}
