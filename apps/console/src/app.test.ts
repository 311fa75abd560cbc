import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { permanent } from "@concord/contracts";
import { createLogger } from "@concord/telemetry";
import { createServer } from "./app";
import { createAuditTrail } from "./audit";
import { fakeAuditBackend, fakeOperations } from "./testing-fakes";
import type { ApiToken } from "./tokens";

const tokens: ApiToken[] = [
  { name: "default", role: "admin", token: "admin-token-0123456789" },
  { name: "alice", role: "operator", token: "alice-token-0123456789" },
  { name: "dashboard", role: "viewer", token: "viewer-token-0123456789" },
];
const CANARY = "canary-1c-pass-93ab";

async function start(ops = fakeOperations()) {
  const backend = fakeAuditBackend();
  const logger = createLogger("console-test", "error", new PassThrough());
  const app = createServer({ tokens, operations: ops, audit: createAuditTrail(backend, logger), ready: () => true, logger });
  const server: Server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  return { call, ops, backend, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("roles and the audit trail", () => {
  it("viewer reads, operator acts, each action recorded with the token's name", async () => {
    const s = await start();
    try {
      expect((await s.call("GET", "/api/dlq", "nope-0123456789abcdef")).status).toBe(401);
      expect((await s.call("GET", "/api/dlq", tokens[2]!.token)).status).toBe(200);
      const denied = await s.call("POST", "/api/dlq/5/retry", tokens[2]!.token, {});
      expect(denied.status).toBe(403);
      expect(s.ops.calls.filter(([op]) => op === "retry")).toEqual([]);
      expect((await s.call("POST", "/api/resync", tokens[2]!.token, { system: "bitrix24", entity: "deal", id: "7" })).status).toBe(403);

      expect((await s.call("POST", "/api/dlq/5/retry", tokens[1]!.token, {})).status).toBe(200);
      expect((await s.call("POST", "/api/dlq/5/discard", tokens[0]!.token, { reason: "duplicate order" })).status).toBe(200);
      expect((await s.call("POST", "/api/resync", tokens[1]!.token, { system: "bitrix24", entity: "deal", id: "7" })).status).toBe(202);

      const shown = await s.call("GET", "/api/dlq/5", tokens[2]!.token);
      expect(shown.status).toBe(200);
      expect(shown.text).not.toContain("v1.sealed");
      expect((shown.body?.audit as Array<Record<string, unknown>>).map((e) => [e.actor, e.role, e.action, e.result])).toEqual([
        ["default", "admin", "dlq.discard", "ok"],
        ["alice", "operator", "dlq.retry", "ok"],
      ]);
      const all = await s.call("GET", "/api/audit?actor=alice", tokens[2]!.token);
      expect((all.body?.entries as Array<Record<string, unknown>>).map((e) => [e.action, e.targetKind, e.targetId])).toEqual([
        ["resync", "record", "bitrix24:deal:7"],
        ["dlq.retry", "dead-letter", "5"],
      ]);
    } finally {
      await s.close();
    }
  });

  it("a failed action is recorded as failed, and its reason reaches the caller masked", async () => {
    const s = await start(fakeOperations({ retry: () => Promise.reject(permanent("ONEC_REJECTED", `1C refused: https://concord:${CANARY}@1c.example/odata`)) }));
    try {
      const reply = await s.call("POST", "/api/dlq/9/retry", tokens[1]!.token, {});
      expect(reply.status).toBe(422);
      expect(reply.text).not.toContain(CANARY);
      expect(s.backend.entries.map((e) => [e.actor, e.action, e.targetId, e.result])).toEqual([["alice", "dlq.retry", "9", "failed"]]);
      expect(JSON.stringify(s.backend.entries)).not.toContain(CANARY);
    } finally {
      await s.close();
    }
  });
});
