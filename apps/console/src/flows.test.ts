import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import type { JetStreamClient } from "@nats-io/jetstream";
import { createFlowModes, type ExchangeClient, type StateStore } from "@concord/bus";
import { createSubjects, type ExchangeEntry, type ExchangeListRequest } from "@concord/contracts";
import { createLogger } from "@concord/telemetry";
import { createServer } from "./app";
import { createAuditTrail } from "./audit";
import { createFlowOperations, type FlowOperations } from "./flows";
import { fakeAuditBackend, fakeOperations } from "./testing-fakes";
import type { ApiToken } from "./tokens";

const tokens: ApiToken[] = [
  { name: "root", role: "admin", token: "admin-token-0123456789" },
  { name: "alice", role: "operator", token: "alice-token-0123456789" },
  { name: "dashboard", role: "viewer", token: "viewer-token-0123456789" },
];

function memoryState(): StateStore {
  const values = new Map<string, { value: unknown; revision: number }>();
  let revision = 0;
  return {
    getJson: <T>(key: string) => Promise.resolve((values.get(key) as { value: T; revision: number } | undefined) ?? null),
    putJson: (key, value) => (values.set(key, { value, revision: ++revision }), Promise.resolve()),
    tryLease: () => Promise.resolve(true),
    remove: (key) => (values.delete(key), Promise.resolve()),
    compareAndSet: (key, value, expected) => {
      if ((values.get(key)?.revision ?? null) !== expected) return Promise.resolve(false);
      values.set(key, { value, revision: ++revision });
      return Promise.resolve(true);
    },
  };
}

const entry = (id: number, subject: ExchangeEntry["subject"], messageId: string): ExchangeEntry => ({
  id,
  at: "2026-12-01T08:00:00.000Z",
  stage: "resolver",
  messageId,
  subject,
  target: null,
  result: "dry-run",
  detail: "decided in dry-run",
  attempts: 1,
  traceId: null,
});

/** Flow operations over an in-memory KV, a fake exchange log and a bus that records publishes. */
function flowOperations() {
  const published: Array<{ subject: string; msgId: string; data: Record<string, unknown> }> = [];
  const requests: ExchangeListRequest[] = [];
  const js = {
    publish: (subject: string, data: Uint8Array, options: { msgID: string }) => {
      const duplicate = published.some((p) => p.msgId === options.msgID);
      published.push({ subject, msgId: options.msgID, data: JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown> });
      return Promise.resolve({ stream: "S", seq: published.length, duplicate });
    },
  } as unknown as JetStreamClient;
  const exchange: ExchangeClient = {
    list: (request) => {
      requests.push(request);
      return Promise.resolve({
        entries: [entry(1, { system: "bitrix24", entity: "deal", id: "7" }, "chg:bitrix24:deal:7:upsert:ONCRMDEALADD@1"), entry(2, { system: "bitrix24", entity: "deal", id: "8" }, "chg:bitrix24:deal:8:delete:ONCRMDEALDELETE@2")],
      });
    },
  };
  const jsm = {
    streams: { info: () => Promise.resolve({ state: { last_seq: 10 } }) },
    consumers: { info: () => Promise.resolve({ ack_floor: { stream_seq: 10 } }) },
  } as never;
  const modes = createFlowModes(memoryState(), { policyDryRun: ["orders.crmToOnec"] });
  const ops = createFlowOperations({ modes, exchange, js, jsm, subjects: createSubjects("flowtest"), sleep: () => Promise.resolve() });
  return { ops, modes, published, requests };
}

describe("switching a flow", () => {
  it("from dry-run to live announces again every record the dry-run decided, once per switch, with its action", async () => {
    const { ops, modes, published, requests } = flowOperations();
    await modes.adoptPolicy();
    const result = await ops.switchMode("orders.crmToOnec", "live", "root");
    expect(result).toMatchObject({ mode: "live", changed: true, replay: { records: 2, duplicates: 0, exchangeLogCaughtUp: true } });
    expect(requests[0]).toMatchObject({ result: "dry-run", stages: ["resolver"], distinctRecords: true });
    expect(published.map((p) => [p.subject, p.msgId, p.data.action])).toEqual([
      ["flowtest.events.bitrix24.deal", `chg:bitrix24:deal:7:upsert:replay@${result.since}`, "upsert"],
      ["flowtest.events.bitrix24.deal", `chg:bitrix24:deal:8:delete:replay@${result.since}`, "delete"],
    ]);
    // Already live: nothing to do, nothing announced.
    expect(await ops.switchMode("orders.crmToOnec", "live", "root")).toMatchObject({ changed: false, replay: null });
    // To dry-run: nothing announced either.
    expect(await ops.switchMode("orders.crmToOnec", "dry-run", "root")).toMatchObject({ mode: "dry-run", changed: true, replay: null });
    expect(published).toHaveLength(2);
  });
});

async function start(flows: FlowOperations) {
  const backend = fakeAuditBackend();
  const logger = createLogger("console-test", "error", new PassThrough());
  const server: Server = createHttpServer(createServer({ tokens, operations: fakeOperations(), audit: createAuditTrail(backend, logger), ready: () => true, logger, flows }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { call, backend, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("the flows API", () => {
  it("shows flows to a viewer, lets only an admin switch one, and records each switch", async () => {
    const { ops } = flowOperations();
    const s = await start(ops);
    try {
      const listed = await s.call("GET", "/api/flows", tokens[2]!.token);
      expect(listed.status).toBe(200);
      expect((listed.body.flows as Array<{ flow: string; mode: string }>).map((f) => `${f.flow}:${f.mode}`)).toEqual(["orders.crmToOnec:dry-run", "orders.onecToCrm:live", "customers:live", "products:live"]);
      expect((await s.call("PUT", "/api/flows/customers", tokens[1]!.token, { mode: "dry-run" })).status).toBe(403);
      expect((await s.call("PUT", "/api/flows/orders", tokens[0]!.token, { mode: "dry-run" })).status).toBe(400);
      expect((await s.call("PUT", "/api/flows/customers", tokens[0]!.token, { mode: "paused" })).status).toBe(400);
      const switched = await s.call("PUT", "/api/flows/customers", tokens[0]!.token, { mode: "dry-run", reason: "new INN rules" });
      expect(switched).toMatchObject({ status: 200, body: { flow: "customers", mode: "dry-run", changed: true } });
      expect(s.backend.entries.map((e) => [e.actor, e.action, e.targetKind, e.targetId, e.result])).toEqual([["root", "flow.change", "flow", "customers", "ok"]]);
      expect(s.backend.entries[0]?.detail).toMatch(/^set to dry-run since .*; reason: new INN rules$/);
      expect((await s.call("GET", "/api/flows/customers/dry-run?limit=5", tokens[2]!.token)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
