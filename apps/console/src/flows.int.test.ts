import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { AckPolicy } from "@nats-io/jetstream";
import { createFlowModes, type ExchangeClient } from "@concord/bus";
import { useTestBus, useTestStateStores } from "@concord/bus/testing";
import { Headers, type ExchangeEntry, type ExchangeListRequest } from "@concord/contracts";
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

// The real bus: the namespace's streams and state KV on the test NATS.
const testBus = useTestBus("flowops");
const freshState = useTestStateStores("flowops");

/** What the switch published on the events stream: subject, dedupe id and body, in order. */
async function publishedEvents(): Promise<Array<{ subject: string; msgId: string; data: Record<string, unknown> }>> {
  const { jsm } = testBus.bus();
  const stream = testBus.subjects.streams.events;
  const { first_seq, last_seq, messages } = (await jsm.streams.info(stream)).state;
  const out = [];
  for (let seq = first_seq; messages > 0 && seq <= last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m) out.push({ subject: m.subject, msgId: m.header.get(Headers.msgId), data: m.json<Record<string, unknown>>() });
  }
  return out;
}

/**
 * Flow operations on the real bus and state KV. The exchange log is mapping's (not running
 * here): a fixed page of dry-run entries stands in for it, and its consumer is only declared.
 */
async function flowOperations() {
  const requests: ExchangeListRequest[] = [];
  const exchange: ExchangeClient = {
    list: (request) => {
      requests.push(request);
      return Promise.resolve({
        entries: [entry(1, { system: "bitrix24", entity: "deal", id: "7" }, "chg:bitrix24:deal:7:upsert:ONCRMDEALADD@1"), entry(2, { system: "bitrix24", entity: "deal", id: "8" }, "chg:bitrix24:deal:8:delete:ONCRMDEALDELETE@2")],
      });
    },
  };
  const { js, jsm } = testBus.bus();
  await jsm.consumers.add(testBus.subjects.streams.outcomes, { durable_name: "exchange-log", ack_policy: AckPolicy.Explicit });
  const modes = createFlowModes(await freshState(), { policyDryRun: ["orders.crmToOnec"] });
  const ops = createFlowOperations({ modes, exchange, js, jsm, subjects: testBus.subjects, sleep: () => Promise.resolve() });
  return { ops, modes, requests };
}

describe("switching a flow", () => {
  it("from dry-run to live announces again every record the dry-run decided, once per switch, with its action", async () => {
    const { ops, modes, requests } = await flowOperations();
    await modes.adoptPolicy();
    const result = await ops.switchMode("orders.crmToOnec", "live", "root");
    expect(result).toMatchObject({ mode: "live", changed: true, replay: { records: 2, duplicates: 0, exchangeLogCaughtUp: true } });
    expect(requests[0]).toMatchObject({ result: "dry-run", stages: ["resolver"], distinctRecords: true });
    const events = testBus.subjects.event("bitrix24", "deal");
    expect((await publishedEvents()).map((p) => [p.subject, p.msgId, p.data.action])).toEqual([
      [events, `chg:bitrix24:deal:7:upsert:replay@${result.since}`, "upsert"],
      [events, `chg:bitrix24:deal:8:delete:replay@${result.since}`, "delete"],
    ]);
    // Already live: nothing to do, nothing announced.
    expect(await ops.switchMode("orders.crmToOnec", "live", "root")).toMatchObject({ changed: false, replay: null });
    // To dry-run: nothing announced either.
    expect(await ops.switchMode("orders.crmToOnec", "dry-run", "root")).toMatchObject({ mode: "dry-run", changed: true, replay: null });
    expect(await publishedEvents()).toHaveLength(2);
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
    const { ops } = await flowOperations();
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
