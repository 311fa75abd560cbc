import { createServer, type Server, type ServerResponse } from "node:http";
import { renderMetrics } from "@concord/telemetry";

/** Answers a Prometheus scrape with this process's metrics (also mounted by ingress and console). */
export function answerMetrics(res: ServerResponse): void {
  renderMetrics().then(
    ({ contentType, body }) => void res.writeHead(200, { "content-type": contentType }).end(body),
    (error: unknown) => void res.writeHead(500, { "content-type": "text/plain" }).end(`metrics unavailable: ${String((error as Error)?.message ?? error).slice(0, 200)}`),
  );
}

/**
 * `/healthz` (the process is alive), `/readyz` (it can do its work now: bus connected,
 * consumers running, database reachable) and `/metrics` (Prometheus) for services that have no
 * HTTP API of their own.
 * `detail` adds what operators need beside the verdict — the targets' circuits: an open circuit
 * does not make a worker unready (it still serves, and probes), it says why work waits.
 */
export async function startHealthServer(host: string, port: number, ready: () => boolean, detail?: () => Record<string, unknown> | Promise<Record<string, unknown>>): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/healthz") return void res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    if (path === "/metrics") return answerMetrics(res);
    if (path === "/readyz") {
      const ok = ready();
      const answer = (extra: Record<string, unknown>) =>
        void res.writeHead(ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ status: ok ? "ready" : "not ready", ...extra }));
      // Detail that cannot be read (NATS away) must not turn the verdict into an error.
      return void Promise.resolve()
        .then(() => detail?.() ?? {})
        .then(answer, (error: unknown) => answer({ detailError: String((error as Error)?.message ?? error) }));
    }
    res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
