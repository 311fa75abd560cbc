import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { createLogger } from "@concord/telemetry";
import { createServer } from "./app";
import { createAuditTrail } from "./audit";
import { fakeAuditBackend, fakeOperations } from "./testing-fakes";

it("GET /api/circuits shows every target's circuit to a viewer, and says whether any is open", async () => {
  const logger = createLogger("console-test", "error", new PassThrough());
  const circuits = async () => [
    { target: "bitrix24", status: "open" as const, since: "2026-12-01T05:00:00.000Z", lastError: "bitrix24 crm.deal.get: HTTP 503 QUERY_LIMIT_EXCEEDED", nextProbeAt: "2026-12-01T05:00:05.000Z" },
    { target: "onec", status: "unknown" as const, reason: "its writer did not answer" },
  ];
  const app = createServer({
    tokens: [{ name: "dashboard", role: "viewer", token: "viewer-token-0123456789" }],
    operations: fakeOperations(),
    audit: createAuditTrail(fakeAuditBackend(), logger),
    ready: () => true,
    logger,
    circuits,
  });
  const server: Server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    expect((await fetch(`${base}/api/circuits`)).status).toBe(401);
    const response = await fetch(`${base}/api/circuits`, { headers: { authorization: "Bearer viewer-token-0123456789" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { open: boolean; circuits: Array<{ target: string; status: string }> };
    expect(body.open).toBe(true);
    expect(body.circuits.map((c) => [c.target, c.status])).toEqual([
      ["bitrix24", "open"],
      ["onec", "unknown"],
    ]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
