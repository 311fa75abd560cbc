import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import fc from "fast-check";
import { isValidRecordId, type RecordRef } from "@concord/contracts";
import { createLogger } from "@concord/telemetry";
import { createServer } from "./app";
import { createAuditTrail } from "./audit";
import { fakeAuditBackend, fakeOperations } from "./testing-fakes";

/**
 * A fuzzer of the console API's inputs (issue 12): arbitrary paths, ids, queries and bodies,
 * with and without a valid token of each role. Whatever arrives, the API answers with a 4xx or
 * 2xx JSON (never a 500, never a hang), never echoes a token, and the operations only ever see
 * validated input: positive dead-letter ids, a non-empty reason, and record ids valid for their
 * system and entity.
 */
const tokens = [
  { name: "default", role: "admin" as const, token: "fuzz-admin-token-0123456789" },
  { name: "op", role: "operator" as const, token: "fuzz-operator-token-0123456789" },
  { name: "view", role: "viewer" as const, token: "fuzz-viewer-token-0123456789" },
];

let server: Server;
let base = "";
const ops = fakeOperations();
beforeAll(async () => {
  const logger = createLogger("console-fuzz", "error", new PassThrough());
  server = createHttpServer(createServer({ tokens, operations: ops, audit: createAuditTrail(fakeAuditBackend(), logger), ready: () => true, logger }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const guid = "0f8fad5b-d9cb-469f-a165-70867728950e";
const nasty = fc.oneof(
  fc.string(),
  fc.constantFrom("", "0", "-1", "1e3", "9007199254740993", "NaN", "null", "../", "%2e%2e%2f", `${guid}')/../../x`, "42", guid, "<script>", "\u0000", "\u001b[2J", "ﾠ", "１２"),
);
const jsonValue = fc.oneof(fc.jsonValue(), fc.record({ system: fc.constantFrom("bitrix24", "onec", "x"), entity: fc.constantFrom("deal", "order", "company", "counterparty", "product", "lead"), id: nasty }));
const request = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE"),
  path: fc.oneof(
    fc.constantFrom("/api/dlq", "/api/dlq/retry", "/api/resync", "/api/audit", "/healthz", "/api/", "/api/dlq//retry"),
    nasty.map((id) => `/api/dlq/${encodeURIComponent(id)}`),
    fc.tuple(nasty, fc.constantFrom("retry", "discard", "x")).map(([id, op]) => `/api/dlq/${encodeURIComponent(id)}/${op}`),
  ),
  query: fc.dictionary(fc.constantFrom("limit", "system", "code", "status", "from", "to", "flow", "targetId", "actor", "x"), nasty, { maxKeys: 3 }),
  body: fc.option(fc.oneof(jsonValue, fc.record({ refresh: fc.oneof(fc.boolean(), nasty), reason: nasty, confirm: fc.boolean(), filter: fc.dictionary(fc.string(), nasty) }, { requiredKeys: [] })), { nil: undefined }),
  rawBody: fc.option(fc.constantFrom("{", "[]", "null", "\u0000", "{\"a\":".repeat(50)), { nil: undefined }),
  token: fc.constantFrom(undefined, "wrong-token-0123456789", ...tokens.map((t) => t.token)),
});

it("answers every input with validated behaviour, never a 500", async () => {
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const query = new URLSearchParams(r.query).toString();
      const hasBody = r.method !== "GET" && (r.body !== undefined || r.rawBody !== undefined);
      const response = await fetch(`${base}${r.path}${query ? `?${query}` : ""}`, {
        method: r.method,
        headers: { ...(r.token ? { authorization: `Bearer ${r.token}` } : {}), ...(hasBody ? { "content-type": "application/json" } : {}) },
        body: hasBody ? (r.rawBody ?? JSON.stringify(r.body)) : undefined,
        signal: AbortSignal.timeout(5000),
      });
      const text = await response.text();
      expect(response.status).toBeLessThan(500);
      expect(() => JSON.parse(text) as unknown).not.toThrow();
      for (const t of tokens) expect(text).not.toContain(t.token);
      if ((!r.token || r.token.startsWith("wrong")) && r.path.startsWith("/api")) expect([401, 404]).toContain(response.status);
    }),
    { numRuns: 300 },
  );
  for (const [op, arg] of ops.calls) {
    if (op === "resync") {
      const ref = arg as RecordRef;
      expect(isValidRecordId(ref.system, ref.entity, ref.id)).toBe(true);
    }
    if (op === "retry" || op === "get" || op === "discard") {
      const id = typeof arg === "number" ? arg : (arg as { id: number }).id;
      expect(Number.isSafeInteger(id) && id > 0).toBe(true);
    }
    if (op === "discard") expect((arg as { reason: string }).reason.trim().length).toBeGreaterThan(0);
  }
}, 60_000);
