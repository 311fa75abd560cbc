import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { waitFor } from "@concord/testkit";
import { ORDER_SET, createDeal, metricValue, ordersOfDeal, scrapeMetrics, startTestSystem, syncedDeal, waitQuiet, type MetricSample, type TestSystem } from "./harness";

// Issue 15, metrics and traces: every service's /metrics moves with a known workload, and every
// service exports OTLP to a collector started here, where one trace runs from the webhook to the 1C write.
jest.setTimeout(150_000);

interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
}

/** A tiny OTLP/HTTP receiver: POST /v1/traces with OTLP JSON, what the services' exporter sends. */
const received: CollectedSpan[] = [];
const bodies: string[] = [];
let collector: Server;
let t: TestSystem;

const services = ["ingress", "resolver", "mapping", "crm-writer", "onec-writer", "console"] as const;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (req.method !== "POST" || req.url !== "/v1/traces" || !(req.headers["content-type"] ?? "").includes("json")) {
        res.writeHead(415).end();
        return;
      }
      bodies.push(text);
      type Attr = { key: string; value: { stringValue?: string } };
      const body = JSON.parse(text) as { resourceSpans?: Array<{ resource?: { attributes?: Attr[] }; scopeSpans?: Array<{ spans?: Array<Omit<CollectedSpan, "service">> }> }> };
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "?";
        for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) received.push({ ...span, parentSpanId: span.parentSpanId ?? "", service });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`, OTEL_BSP_SCHEDULE_DELAY: "200" };
  // One replica each: this is about what each service reports, not about scale-out.
  t = await startTestSystem({ replicas: 1, env: Object.fromEntries(services.map((s) => [s, otlp])) });
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await new Promise((resolve) => collector?.close(resolve));
}, 60_000);

const scrapeAll = async () => Object.fromEntries(await Promise.all(services.map(async (s) => [s, await scrapeMetrics(t, s)] as const))) as Record<(typeof services)[number], MetricSample[]>;
const put = (body: unknown) => ({ method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

it("every service's /metrics moves with a known workload: one deal synced, one rejected by 1C, one retried through a 1C outage", async () => {
  const before = await scrapeAll();
  for (const s of services) {
    expect(before[s].some((m) => m.labels.service === s && m.name.startsWith("concord_"))).toBe(true);
  }

  // 1. A deal that reaches 1C and is linked back.
  const synced = await syncedDeal(t);

  // 2. A deal 1C refuses: a dead letter.
  await t.onecAdmin("reject", put({ set: ORDER_SET, when: { field: "Комментарий", contains: "REJECT" }, message: "Недопустимый заказ" }));
  const rejected = await createDeal(t, { title: "REJECT metrics" });
  await waitFor(async () => metricValue(await scrapeMetrics(t, "onec-writer"), "concord_dead_letters_total", { stage: "onec-writer", code: "ONEC_REJECTED" }) >= 1 || undefined, {
    timeoutMs: 30_000,
    what: "the dead letter counted",
  });
  await t.onecAdmin("reject", { method: "DELETE" });

  // 3. 1C's product reads fail for a while (read before any write of an order, so no create falls in
  // doubt): the client retries each read quickly, then the message is retried.
  const faultsBefore = await scrapeMetrics(t, "onec-writer");
  const retriesBefore = metricValue(faultsBefore, "concord_retries_total", { stage: "onec-writer" });
  const failedReadsBefore = metricValue(faultsBefore, "concord_target_requests_total", { target: "onec", method: /^GET /, status: "500" });
  await t.onecAdmin("faults", put({ "Catalog_Номенклатура": { GET: { errorRate: 1 } }, seed: 15 }));
  let retried: { dealId: string };
  try {
    // A product no earlier order used: its lookup is not cached yet.
    retried = await createDeal(t, { title: "Повтор", companyId: Number(synced.companyId), rows: [{ sku: "SKU-007", price: 700, quantity: 1 }] });
    await waitFor(
      async () => {
        const now = await scrapeMetrics(t, "onec-writer");
        return metricValue(now, "concord_retries_total", { stage: "onec-writer" }) > retriesBefore && metricValue(now, "concord_target_requests_total", { target: "onec", method: /^GET /, status: "500" }) >= failedReadsBefore + 4 ? true : undefined;
      },
      { timeoutMs: 30_000, what: "failed reads and a retry counted" },
    );
  } finally {
    await t.onecAdmin("faults", { method: "DELETE" });
  }
  await waitFor(async () => ((await ordersOfDeal(t, retried.dealId)).length === 1 ? true : undefined), { timeoutMs: 60_000, what: "the retried deal's order" });
  await waitQuiet(t);

  const after = await scrapeAll();
  const grew = (s: (typeof services)[number], name: string, where: Record<string, string | RegExp> = {}) => metricValue(after[s], name, where) - metricValue(before[s], name, where);
  // Events in, and the resolver's and writers' deliveries and outcomes by kind.
  expect(grew("ingress", "concord_events_in_total", { source: "bitrix24", result: "accepted" })).toBeGreaterThanOrEqual(3);
  expect(grew("resolver", "concord_messages_received_total", { stage: "resolver" })).toBeGreaterThanOrEqual(3);
  expect(grew("resolver", "concord_outcomes_total", { stage: "resolver", result: "commanded", entity: "deal" })).toBeGreaterThanOrEqual(3);
  expect(grew("resolver", "concord_message_handling_seconds_count", { stage: "resolver", result: "ack" })).toBeGreaterThanOrEqual(3);
  expect(grew("onec-writer", "concord_outcomes_total", { stage: "onec-writer", result: "created", entity: "deal" })).toBe(2);
  expect(grew("onec-writer", "concord_outcomes_total", { stage: "onec-writer", result: "dead-lettered" })).toBe(1);
  expect(grew("onec-writer", "concord_outcomes_total", { stage: "onec-writer", result: "retrying" })).toBeGreaterThanOrEqual(1);
  expect(grew("onec-writer", "concord_retries_total", { stage: "onec-writer" })).toBeGreaterThanOrEqual(1);
  expect(grew("crm-writer", "concord_outcomes_total", { stage: "crm-writer", result: "applied", entity: "deal" })).toBeGreaterThanOrEqual(2);
  expect(grew("mapping", "concord_messages_received_total", { stage: "exchange-log" })).toBeGreaterThanOrEqual(10);
  expect(grew("mapping", "concord_messages_received_total", { stage: "dead-letter-recorder" })).toBe(1);
  // Requests to each target, their durations, and the shared limiter's waits, by target and method.
  expect(grew("onec-writer", "concord_target_requests_total", { target: "onec", method: `POST ${ORDER_SET}`, status: /^2/ })).toBe(2);
  expect(grew("onec-writer", "concord_target_requests_total", { target: "onec", method: /^GET /, status: "500" })).toBeGreaterThanOrEqual(4);
  expect(grew("onec-writer", "concord_target_request_seconds_count", { target: "onec" })).toBeGreaterThanOrEqual(6);
  expect(grew("crm-writer", "concord_target_requests_total", { target: "bitrix24", method: "crm.deal.update" })).toBeGreaterThanOrEqual(2);
  expect(grew("onec-writer", "concord_rate_limit_wait_seconds_count", { limiter: /^ratelimit\.onec\./ })).toBeGreaterThanOrEqual(6);
  // Backlog and circuits: read from JetStream and the shared state at scrape time (a reading serves 5 s); all settled now.
  await waitFor(
    async () => {
      const now = await scrapeMetrics(t, "onec-writer");
      const series = ["concord_consumer_pending_messages", "concord_consumer_ack_pending_messages", "concord_consumer_oldest_waiting_seconds"].map((name) => now.find((m) => m.name === name && m.labels.consumer === "onec-writer"));
      return series.every((m) => m?.value === 0) ? true : undefined;
    },
    { timeoutMs: 10_000, what: "the onec-writer's backlog gauges at 0" },
  );
  expect(after["mapping"].some((m) => m.name === "concord_consumer_ack_pending_messages" && m.labels.consumer === "exchange-log")).toBe(true);
  expect(after["onec-writer"].find((m) => m.name === "concord_circuit_open" && m.labels.target === "onec")?.value).toBe(0);
  expect(after["crm-writer"].find((m) => m.name === "concord_circuit_open" && m.labels.target === "bitrix24")?.value).toBe(0);
  // Bounded labels: Concord's own series use only these label names, and no record id is a value.
  const allowed = new Set(["service", "stage", "result", "system", "entity", "source", "scope", "code", "target", "method", "status", "stream", "consumer", "limiter", "circuit", "le"]);
  for (const s of services) {
    for (const m of after[s].filter((x) => x.name.startsWith("concord_") && !/^concord_(process|nodejs)_/.test(x.name))) {
      for (const key of Object.keys(m.labels)) expect(allowed).toContain(key);
      expect(Object.values(m.labels)).not.toContain(synced.ref);
    }
  }

  // The exchange log shows each record's calls: the created order's POST, and the retried one's four quick tries of a read.
  const [created] = await t.sql<Array<{ calls: Array<{ target: string; call: string; status: number | null; attempt: number; error: string | null }> }>>`
    select calls from exchange_log where stage = 'onec-writer' and result = 'created' and entity = 'deal' and record_id = ${synced.dealId}`;
  expect(created?.calls.some((c) => c.target === "onec" && c.call === `POST ${ORDER_SET}` && c.status === 201)).toBe(true);
  const [dead] = await t.sql<Array<{ calls: Array<{ call: string; status: number | null; error: string | null }> }>>`
    select calls from exchange_log where result = 'dead-lettered' and entity = 'deal' and record_id = ${rejected.dealId}`;
  expect(dead?.calls.some((c) => c.call === `POST ${ORDER_SET}` && c.status === 500 && (c.error ?? "").includes("Недопустимый заказ"))).toBe(true);
  const retrying = await t.sql<Array<{ calls: Array<{ call: string; status: number | null; attempt: number; error: string | null }> }>>`
    select calls from exchange_log where result = 'retrying' and calls <> '[]'::jsonb`;
  const failedReads = retrying.flatMap((r) => r.calls).filter((c) => c.status === 500);
  expect(failedReads.map((c) => c.attempt)).toEqual(expect.arrayContaining([1, 2, 3, 4]));
  expect(failedReads[0]?.error).toContain("500");
  const log = JSON.stringify(await t.sql`select calls from exchange_log`);
  for (const secret of [t.config.secrets.b24WebhookToken, t.config.secrets.onecPassword]) expect(log).not.toContain(secret);
});

it("every service exports OTLP, and one trace runs from the webhook through the resolver to the 1C write", async () => {
  const { dealId } = await createDeal(t, { title: "Трасса" });
  await waitFor(async () => ((await ordersOfDeal(t, dealId)).length === 1 ? true : undefined), { timeoutMs: 30_000, what: "the order" });
  // The trace id the onec-writer recorded with the created order.
  const [row] = await waitFor(async () => {
    const rows = await t.sql<Array<{ trace_id: string | null }>>`select trace_id from exchange_log where stage = 'onec-writer' and result = 'created' and record_id = ${dealId}`;
    return rows[0]?.trace_id ? rows : undefined;
  }, { what: "the created outcome with its trace id" });
  const traceId = row?.trace_id as string;

  // From the write up through its parents to the webhook's SERVER span at ingress: one unbroken trace
  // (each process exports its spans as they end, so the chain completes within a few batches).
  const trace = await waitFor(async () => {
    const spans = received.filter((s) => s.traceId === traceId);
    const write = spans.find((s) => s.service === "onec-writer" && s.kind === 3 && s.name === `1c POST ${ORDER_SET}`);
    if (!write) return undefined;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const chain: CollectedSpan[] = [];
    for (let span: CollectedSpan | undefined = write; span; span = byId.get(span.parentSpanId)) chain.push(span);
    return chain[chain.length - 1]?.parentSpanId === "" ? { write, chain } : undefined;
  }, { timeoutMs: 15_000, what: `the spans of trace ${traceId} at the collector, from the 1C write up to its root` });
  const { chain } = trace;
  const root = chain[chain.length - 1];
  expect(root).toMatchObject({ service: "ingress", name: "webhook bitrix24", kind: 2, parentSpanId: "" });
  expect(new Set(chain.map((s) => s.service))).toEqual(new Set(["ingress", "resolver", "onec-writer"]));

  // The W3C context reached 1C itself: the sandbox logged the create with the client span's traceparent.
  const requests = await t.onecAdmin<Array<{ method: string; path: string; traceparent: string | null }>>("requests?limit=1000");
  expect(requests.some((r) => r.method === "POST" && r.traceparent === `00-${traceId}-${trace.write.spanId}-01`)).toBe(true);

  // Every service exported something (the console: a request to its API); nothing secret left the processes.
  await fetch(`http://127.0.0.1:${t.config.ports.console}/api/circuits`, { headers: { authorization: `Bearer ${t.config.secrets.consoleApiToken}` } }).then((r) => r.arrayBuffer());
  await waitFor(async () => (services.every((s) => received.some((r) => r.service === s)) ? true : undefined), {
    timeoutMs: 15_000,
    what: `spans from every service (have: ${[...new Set(received.map((r) => r.service))].join(", ")})`,
  });
  const all = bodies.join("\n");
  for (const secret of Object.values(t.config.secrets)) if (secret.length >= 8) expect(all).not.toContain(secret);
});
