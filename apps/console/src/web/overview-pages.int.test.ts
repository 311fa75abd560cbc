import { PassThrough } from "node:stream";
import type { Router } from "express";
import { AckPolicy } from "@nats-io/jetstream";
import { createDecisionClient, createDlqClient, createFlowModes, type CircuitView, type ExchangeClient, type FlowModes } from "@concord/bus";
import { useTestBus } from "@concord/bus/testing";
import type { ExchangeEntry, ExchangeListRequest } from "@concord/contracts";
import { connectDb, migrateDb, type DbHandle } from "@concord/db";
import { createLogger } from "@concord/telemetry";
import { testDatabaseUrl, uniqueNamespace } from "@concord/testkit";
import { createAuditTrail } from "../audit";
import { createFlowOperations } from "../flows";
import { createOperations } from "../operations";
import { fakeAuditBackend } from "../testing-fakes";
import type { WebData } from "./data";
import { createWebRouter } from "./router";
import { openSessionStore } from "./sessions";
import { hashPassword } from "./users";
import { Browser, csrfOf, serveWeb } from "./testing";
import { homePage } from "./pages/home";
import { flowsPage } from "./pages/flows";
import { auditPage } from "./pages/audit";

/*
 * Home, Flows and Audit over HTTP against real parts: sessions and flow modes in this file's NATS
 * namespace (KV), a consumer's backlog in its streams, the exchange log, dead letters, decisions
 * and conflicts in this file's PostgreSQL schema. The circuits (the writers' answer) and the
 * would-be writes (mapping's answer) are fixed data; the audit trail is kept in memory.
 */

jest.setTimeout(30_000);
const testBus = useTestBus("webhome");
const schema = uniqueNamespace("webhome");
const backend = fakeAuditBackend();
const logger = createLogger("console-test", "error", new PassThrough());
const NOW = Date.now();
const ago = (minutes: number) => new Date(NOW - minutes * 60_000);

let db: DbHandle;
let closeWeb: (() => Promise<void>) | undefined;
let base: string;
let modes: FlowModes;
let circuits: CircuitView[] = [];
const exchangeRequests: ExchangeListRequest[] = [];

const wouldBe = (id: number, flow: string, detail: string): ExchangeEntry => ({
  id,
  at: ago(2).toISOString(),
  stage: "crm-writer",
  messageId: `cmd:${id}`,
  subject: { system: "onec", entity: "product", id: `p-${id}` },
  target: { system: "bitrix24", entity: "product", id: String(100 + id) },
  result: "dry-run",
  detail: `dry-run (${flow}): ${detail}`,
  attempts: 1,
  traceId: null,
});

const exchange: ExchangeClient = {
  list: (request) => {
    exchangeRequests.push(request);
    // The would-be writes of products; nothing for a switch's replay.
    const entries = request.detailPrefix === "dry-run (products):" ? [wouldBe(1, "products", 'would update: {"NAME":"Кабель","url":"https://x.bitrix24.ru/rest/1/hook-canary-secret/crm.product.update"}'), wouldBe(2, "products", "would create: {}")] : [];
    return Promise.resolve({ entries });
  },
};

async function insertOutcomes(rows: Array<{ at: Date; stage: string; system: string; entity: string; id: string; result: string }>) {
  for (const [i, r] of rows.entries()) {
    await db.sql`insert into exchange_log (outcome_id, at, stage, message_id, system, entity, record_id, result, detail, attempts, duration_ms)
      values (${`o-${r.system}-${r.entity}-${r.id}-${i}-${r.result}`}, ${r.at.toISOString()}::timestamptz, ${r.stage}, ${`m-${i}`}, ${r.system}, ${r.entity}, ${r.id}, ${r.result}, 'test', 1, 5)`;
  }
}

async function insertDeadLetter(seq: number, system: string, entity: string, id: string, failedAt: Date) {
  await db.sql`insert into dead_letters (dlq_stream_seq, stage, subject, stream, stream_seq, message_id, original, error_kind, error_code, error_message, failure_class, attempts, first_failed_at, last_failed_at, flow, system, entity, record_id, status)
    values (${seq}, 'crm-writer', 'concord.commands.bitrix24.company', 'COMMANDS', ${seq}, ${`cmd:${seq}`}, ${JSON.stringify({ data: "{}", headers: {} })}::jsonb, 'business', 'B24_REJECTED', 'refused', 'business', 1, ${failedAt.toISOString()}::timestamptz, ${failedAt.toISOString()}::timestamptz, 'onec.counterparty→bitrix24.company', ${system}, ${entity}, ${id}, 'open')`;
}

beforeAll(async () => {
  await migrateDb(testDatabaseUrl(), schema);
  db = connectDb(testDatabaseUrl(), schema, 3);
  const bus = testBus.bus();
  const { subjects } = testBus;
  modes = createFlowModes(testBus.state(), { cacheMs: 0 });

  // orders.crmToOnec: 10 deals applied and one retry within the hour. products: 5 applied three hours ago.
  await insertOutcomes([
    ...Array.from({ length: 10 }, (_, i) => ({ at: ago(2 + i * 5), stage: "onec-writer", system: "bitrix24", entity: "deal", id: String(i + 1), result: "applied" })),
    { at: ago(3), stage: "onec-writer", system: "bitrix24", entity: "deal", id: "11", result: "retrying" },
    // A resolver's `commanded` is followed by its writer's outcome: not counted twice.
    { at: ago(3), stage: "resolver", system: "bitrix24", entity: "deal", id: "11", result: "commanded" },
    ...Array.from({ length: 5 }, (_, i) => ({ at: ago(180 + i), stage: "crm-writer", system: "onec", entity: "product", id: `p${i}`, result: "applied" })),
  ]);
  // customers: two companies dead-lettered ten minutes ago.
  await insertDeadLetter(1, "bitrix24", "company", "501", ago(10));
  await insertDeadLetter(2, "bitrix24", "company", "502", ago(9));
  // customers: a company waiting for a person's decision; orders: a conflict settled today.
  const [company] = await db.sql<Array<{ id: number }>>`insert into id_mapping (source_system, source_entity, source_id, target_system, target_entity, created_by) values ('bitrix24', 'company', '77', 'onec', 'counterparty', 'flow') returning id`;
  await db.sql`insert into decisions (mapping_id, source_system, source_entity, source_id, target_system, target_entity, summary, reason, candidates) values (${company!.id}, 'bitrix24', 'company', '77', 'onec', 'counterparty', 'ООО Ромашка', 'two counterparties share the INN', ${"[]"}::jsonb)`;
  const [deal] = await db.sql<Array<{ id: number }>>`insert into id_mapping (source_system, source_entity, source_id, target_system, target_entity, target_id, created_by) values ('bitrix24', 'deal', '1', 'onec', 'order', 'guid-1', 'flow') returning id`;
  await db.sql`insert into conflicts (mapping_id, entity, field, winner, rule, message_id) values (${deal!.id}, 'order', 'comment', 'crm', 'owner', 'chg:1')`;

  // orders.onecToCrm: a 1C order's change waits for the resolver (a consumer that has not pulled it yet).
  await bus.jsm.consumers.add(subjects.streams.events, { durable_name: "resolver", ack_policy: AckPolicy.Explicit, filter_subject: subjects.wildcards.events });
  await bus.js.publish(subjects.event("onec", "order"), JSON.stringify({ v: 1, type: "change", system: "onec", entity: "order", sourceId: "guid-9" }));

  // products: in dry-run, set by root.
  await modes.set("products", "dry-run", "root");

  const flows = createFlowOperations({ modes, exchange, js: bus.js, jsm: bus.jsm, subjects, sleep: () => Promise.resolve(), exchangeLogWaitMs: 0 });
  const dlq = createDlqClient(bus.nc, subjects, 500);
  const audit = createAuditTrail(backend, logger);
  const data: WebData = {
    db: db.db,
    bus,
    subjects,
    operations: createOperations(bus.js, subjects, dlq),
    audit,
    flows,
    decisions: createDecisionClient(bus.nc, subjects, 500),
    circuits: () => Promise.resolve(circuits),
    alerts: undefined,
    links: {},
  };
  const sessions = await openSessionStore(bus, subjects.sessionsBucket, { idleMs: 600_000, maxAgeMs: 3_600_000 });
  const users = [
    { name: "ada", role: "admin" as const, passwordHash: await hashPassword("ada-password-1", 4) },
    { name: "vera", role: "viewer" as const, passwordHash: await hashPassword("vera-password-1", 4) },
  ];
  const web = createWebRouter({ users, sessions, audit, logger, timeZone: "Europe/Moscow", secureCookies: false, pages: [homePage, flowsPage, auditPage].map((page) => (router: Router) => page(router, data)) });
  ({ base, close: closeWeb } = await serveWeb(web));
});

afterAll(async () => {
  await closeWeb?.();
  await db?.sql.unsafe(`drop schema if exists "${schema}" cascade`);
  await db?.close();
});

const circuit = (target: "bitrix24" | "onec", status: "open" | "closed", lastCode: string | null = null, since: string | null = null): CircuitView => ({ target, key: `${target}:test`, status, since, lastError: lastCode ? "connect ECONNREFUSED" : null, lastCode, nextProbeAt: null, warning: null });

async function signedIn(user: "ada" | "vera") {
  const b = new Browser(base);
  const res = await b.signIn(user, `${user}-password-1`);
  expect(res.status).toBe(303);
  return b;
}

/** One flow's card on the home page: its state and its HTML. */
function card(html: string, flow: string) {
  const start = html.indexOf(`data-testid="flow-${flow}"`);
  expect(start).toBeGreaterThan(-1);
  const section = html.slice(start, html.indexOf("</section>", start));
  const state = /data-state="([^"]+)"/.exec(section)?.[1];
  const text = (testid: string) => new RegExp(`data-testid="${testid}"[^>]*>([\\s\\S]*?)</(?:dd|ul|span)>`).exec(section)?.[1]?.replace(/<[^>]+>/g, "") ?? "";
  const chartTotal = (testid: string) => Number(new RegExp(`data-testid="${testid}" data-total="(\\d+)"`).exec(section)?.[1]);
  return { state, section, text, chartTotal };
}

describe("home", () => {
  it("shows each flow's state with its reason: paused by 1C, failing with dead letters, dry-run, healthy", async () => {
    circuits = [circuit("onec", "open", "ONEC_NETWORK", ago(20).toISOString()), circuit("bitrix24", "closed")];
    const vera = await signedIn("vera");
    const { status, html } = await vera.page("/");
    expect(status).toBe(200);

    const orders = card(html, "orders.crmToOnec");
    expect(orders.state).toBe("paused");
    expect(orders.text("flow-reasons")).toMatch(/^1C is not answering since \d\d:\d\d: changes wait, nothing is lost/);
    expect(orders.text("flow-success")).toBe("100 % (10/10)");
    expect(orders.text("flow-handled")).toContain("retries 1");
    expect(orders.chartTotal("flow-chart-hour")).toBe(11);
    expect(orders.chartTotal("flow-chart-day")).toBe(11);
    expect(orders.text("flow-conflicts")).toBe("1");

    const customers = card(html, "customers");
    expect(customers.state).toBe("failing");
    expect(customers.text("flow-reasons")).toContain("2 dead letters in the last hour");
    expect(customers.text("flow-dead-letters")).toBe("2 (2 new)");
    expect(customers.text("flow-decisions")).toBe("1");

    const products = card(html, "products");
    expect(products.state).toBe("dry-run");
    expect(products.text("flow-reasons")).toMatch(/dry-run since .* \(set by root\): nothing is written/);
    expect(products.chartTotal("flow-chart-hour")).toBe(0);
    expect(products.chartTotal("flow-chart-day")).toBe(5);

    const back = card(html, "orders.onecToCrm");
    expect(back.state).toBe("healthy");
    expect(back.text("flow-backlog")).toMatch(/^1 · oldest \d+ s$/);
    expect(html).toMatch(/data-testid="queue-resolver"><td>resolver<\/td><td><code>[A-Z0-9_]+_EVENTS<\/code><\/td><td>1<\/td><td>0<\/td>/);

    expect(customers.text("flow-alerts")).toBe("alerts not configured");
    expect(html).toContain('data-testid="alerts-off"');
  });

  it("speaks Russian, and reads the Bitrix24 rate limit as its request limit", async () => {
    circuits = [circuit("onec", "closed"), circuit("bitrix24", "open", "B24_QUERY_LIMIT_EXCEEDED", ago(1).toISOString())];
    const vera = await signedIn("vera");
    const { html } = await vera.page("/?lang=ru");
    const back = card(html, "orders.onecToCrm");
    expect(back.state).toBe("paused");
    expect(back.text("flow-reasons")).toMatch(/^Битрикс24: исчерпан лимит запросов с \d\d:\d\d: изменения ждут, ничего не теряется/);
    expect(card(html, "orders.crmToOnec").state).toBe("healthy");
    // Products write to Bitrix24 too: paused over its dry-run, which is still said.
    const products = card(html, "products");
    expect(products.text("flow-state")).toBe("приостановлен");
    expect(products.text("flow-reasons")).toContain("пробный режим с");
  });

  it("says a writer that does not answer, and stays up", async () => {
    circuits = [circuit("bitrix24", "closed")];
    const vera = await signedIn("vera");
    const { status, html } = await vera.page("/");
    expect(status).toBe(200);
    const orders = card(html, "orders.crmToOnec");
    expect(orders.state).toBe("degraded");
    expect(orders.text("flow-reasons")).toContain("the 1C writer does not answer");
  });
});

describe("flows", () => {
  it("shows a viewer the modes but no switch, and refuses the viewer's POST", async () => {
    const vera = await signedIn("vera");
    const { status, html } = await vera.page("/flows");
    expect(status).toBe(200);
    expect(html).toMatch(/data-testid="flow-row-products" data-mode="dry-run"/);
    expect(html).toMatch(/data-testid="flow-row-customers" data-mode="live"/);
    expect(html).not.toContain('action="/flows/');
    const refused = await vera.form("/flows/customers", { _csrf: csrfOf(html), mode: "dry-run" });
    expect(refused.status).toBe(403);
    expect((await modes.modeOf("customers", true)).mode).toBe("live");
  });

  it("shows a dry-run flow's would-be writes, masked", async () => {
    const vera = await signedIn("vera");
    const { html } = await vera.page("/flows");
    // The flow in dry-run is shown first without asking.
    expect(html).toContain('data-testid="would-be-writes" data-flow="products"');
    expect(html.match(/data-testid="would-be-write"/g)).toHaveLength(2);
    expect(html).toContain("Кабель");
    expect(html).not.toContain("hook-canary-secret");
    expect(exchangeRequests.at(-1)).toMatchObject({ result: "dry-run", detailPrefix: "dry-run (products):", limit: 50 });
    const other = await vera.page("/flows?writes=customers&limit=20");
    expect(other.html).toContain('data-testid="would-be-writes-none"');
    expect(exchangeRequests.at(-1)).toMatchObject({ detailPrefix: "dry-run (customers):", limit: 20 });
  });

  it("lets an admin switch a flow, with the reason in the audit trail, and refuses a bad form", async () => {
    const ada = await signedIn("ada");
    const page = await ada.page("/flows");
    expect(page.html).toContain('action="/flows/customers"');
    const res = await ada.form("/flows/customers", { _csrf: csrfOf(page.html), mode: "dry-run", reason: "new INN rules" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/flows?switched=customers&to=dry-run&changed=1");
    expect((await modes.modeOf("customers", true)).mode).toBe("dry-run");
    const entry = backend.entries.find((e) => e.action === "flow.change" && e.targetId === "customers");
    expect(entry).toMatchObject({ actor: "ada", role: "admin", targetKind: "flow", result: "ok" });
    expect(entry?.detail).toMatch(/^set to dry-run since .*; reason: new INN rules$/);
    const after = await ada.page(res.headers.get("location") ?? "");
    expect(after.html).toContain("Customers: switched to dry-run.");
    expect(after.html).toMatch(/data-testid="flow-row-customers" data-mode="dry-run"/);

    // Back to live: the dry-run's records are decided again (none here), and said so.
    const live = await ada.form("/flows/customers", { _csrf: csrfOf(after.html), mode: "live" });
    expect(live.headers.get("location")).toBe("/flows?switched=customers&to=live&changed=1&records=0");

    expect((await ada.form("/flows/customers", { _csrf: csrfOf(after.html), mode: "paused" })).status).toBe(400);
    expect((await ada.form("/flows/orders", { _csrf: csrfOf(after.html), mode: "live" })).status).toBe(404);
    expect((await ada.form("/flows/customers", { _csrf: "forged", mode: "dry-run" })).status).toBe(403);
    expect((await modes.modeOf("customers", true)).mode).toBe("live");
  });
});

describe("audit", () => {
  it("lists the trail newest first, by actor and kind of target, as many as asked", async () => {
    const vera = await signedIn("vera");
    const all = await vera.page("/audit");
    expect(all.status).toBe(200);
    const rows = [...all.html.matchAll(/data-testid="audit-entry" data-action="([^"]+)" data-actor="([^"]+)"/g)].map((m) => `${m[2]}:${m[1]}`);
    // The newest first: vera's own sign-in of this test, before ada's switches.
    expect(rows[0]).toBe("vera:sign-in");
    expect(rows).toContain("ada:flow.change");

    const flowsOnly = await vera.page("/audit?kind=flow");
    const kinds = [...flowsOnly.html.matchAll(/data-target-kind="([^"]+)"/g)].map((m) => m[1]);
    expect(kinds).toEqual(["flow", "flow"]);
    expect(flowsOnly.html).toContain("reason: new INN rules");

    const byAda = await vera.page("/audit?actor=ada&limit=1");
    expect(byAda.html.match(/data-testid="audit-entry"/g)).toHaveLength(1);
    expect(byAda.html).toContain('data-actor="ada"');
    expect(byAda.html).toMatch(/data-testid="audit-more"[^>]*>Show more \(50\)/);
    expect(byAda.html).toContain('href="/audit?actor=ada&amp;limit=50"');

    const nobody = await vera.page("/audit?actor=nobody&kind=nonsense");
    expect(nobody.status).toBe(200);
    expect(nobody.html).toContain('data-testid="audit-none"');
  });
});
