import { PassThrough } from "node:stream";
import type { Router } from "express";
import { createDecisionClient, createDlqClient, createExchangeClient, createFlowModes, requestCircuits } from "@concord/bus";
import { useTestBus } from "@concord/bus/testing";
import { connectDb, deadLetters, exchangeLog, idMapping, migrateDb, syncState, type DbHandle } from "@concord/db";
import { createLogger } from "@concord/telemetry";
import { testDatabaseUrl, uniqueNamespace } from "@concord/testkit";
import { createAuditTrail } from "../audit";
import { createFlowOperations } from "../flows";
import { createOperations } from "../operations";
import { fakeAuditBackend } from "../testing-fakes";
import type { WebData } from "./data";
import { failuresPage } from "./pages/failures";
import { recordsPage } from "./pages/records";
import { createWebRouter } from "./router";
import { openSessionStore } from "./sessions";
import { Browser, serveWeb } from "./testing";
import { hashPassword } from "./users";

/*
 * The record timeline and the failures by cause over HTTP: the real session store in NATS KV, a
 * PostgreSQL schema of this file's own (migrated) holding the rows mapping would have written —
 * pairs, sync state, the exchange log, dead letters — and the audit trail in memory.
 */

jest.setTimeout(30_000);
const schema = uniqueNamespace("webrecords");
const testBus = useTestBus("webrecords");
const backend = fakeAuditBackend();
let db: DbHandle;
let closeWeb: (() => Promise<void>) | undefined;
let base = "";

const ORDER = "6f1c0a52-3b7e-4d0e-9a51-2f1d8c0b7e11";
const COUNTERPARTY = "0b9e7d44-1c2a-4f3b-8e5d-6a7c9b0d1e22";
const BORN_IN_1C = "9d2f3a10-5e6b-4c7d-8e9f-0a1b2c3d4e55";
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const INN = "7701234567";
const links = { bitrix24: "https://b24.example", onec: "https://1c.example/ut11", trace: "https://trace.example/trace/{traceId}" };

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
let outcome = 0;
const logRow = (row: Partial<typeof exchangeLog.$inferInsert> & Pick<typeof exchangeLog.$inferInsert, "at" | "stage" | "system" | "entity" | "recordId" | "result" | "detail">) => ({
  outcomeId: `o-${++outcome}`,
  messageId: `m-${outcome}`,
  attempts: 1,
  durationMs: 12,
  ...row,
});
let dlqSeq = 0;
const letter = (recordId: string, code: string, message: string, failedAt: Date, extra: Partial<typeof deadLetters.$inferInsert> = {}) => ({
  dlqStreamSeq: ++dlqSeq,
  stage: "onec-writer",
  subject: "concord.commands.onec.order",
  stream: "COMMANDS",
  streamSeq: dlqSeq,
  messageId: `cmd:${dlqSeq}`,
  original: { data: "{}", headers: {} },
  errorKind: "permanent",
  errorCode: code,
  errorMessage: message,
  failureClass: "business",
  attempts: 1,
  firstFailedAt: failedAt,
  lastFailedAt: failedAt,
  flow: "bitrix24.deal→onec.order",
  system: "bitrix24",
  entity: "deal",
  recordId,
  createdAt: failedAt,
  ...extra,
});
const SKU_42 = "no Catalog_Номенклатура item with Артикул SKU-42";

beforeAll(async () => {
  await migrateDb(testDatabaseUrl(), schema);
  db = connectDb(testDatabaseUrl(), schema, 2);
  const d = db.db;
  const [dealPair] = await d
    .insert(idMapping)
    .values({ sourceSystem: "bitrix24", sourceEntity: "deal", sourceId: "42", targetSystem: "onec", targetEntity: "order", targetId: ORDER, state: "confirmed", createdBy: "flow", createdAt: minutesAgo(60), confirmedAt: minutesAgo(58) })
    .returning();
  const [companyPair] = await d
    .insert(idMapping)
    .values({ sourceSystem: "bitrix24", sourceEntity: "company", sourceId: "42", targetSystem: "onec", targetEntity: "counterparty", targetId: COUNTERPARTY, state: "confirmed", createdBy: "backfill", createdAt: minutesAgo(90), confirmedAt: minutesAgo(90) })
    .returning();
  const [bornPair] = await d
    .insert(idMapping)
    .values({ sourceSystem: "onec", sourceEntity: "order", sourceId: BORN_IN_1C, targetSystem: "bitrix24", targetEntity: "deal", targetId: "77", state: "confirmed", createdBy: "flow", createdAt: minutesAgo(30), confirmedAt: minutesAgo(29) })
    .returning();
  await d.insert(syncState).values([
    { mappingId: companyPair!.id, side: "bitrix24", values: { name: "ООО Ромашка", inn: INN, kpp: "770101001" } },
    { mappingId: companyPair!.id, side: "onec", values: { name: "ООО Ромашка", inn: INN, kpp: "770101001" } },
    { mappingId: dealPair!.id, side: "onec", values: { title: "Заказ по сделке 42", number: null } },
    { mappingId: bornPair!.id, side: "bitrix24", values: { title: "Заказ из 1С", number: "ТД00-000077" } },
  ]);
  await d.insert(exchangeLog).values([
    logRow({ at: minutesAgo(60), stage: "ingress", system: "bitrix24", entity: "deal", recordId: "42", result: "accepted", detail: "ONCRMDEALUPDATE", traceId: TRACE }),
    logRow({ at: minutesAgo(59.5), stage: "resolver", system: "bitrix24", entity: "deal", recordId: "42", result: "commanded", detail: "onec.order.upsert (create)", traceId: TRACE }),
    logRow({
      at: minutesAgo(59),
      stage: "onec-writer",
      system: "bitrix24",
      entity: "deal",
      recordId: "42",
      targetSystem: "onec",
      targetEntity: "order",
      targetId: ORDER,
      result: "created",
      detail: "order created as ТД00-000042, СуммаДокумента 1200; stored as sent",
      traceId: TRACE,
      calls: [{ target: "onec", call: "POST Document_ЗаказКлиента", status: 201, durationMs: 140, attempt: 1, error: null, at: minutesAgo(59).toISOString() }],
    }),
    logRow({ at: minutesAgo(58), stage: "ingress", system: "onec", entity: "order", recordId: ORDER, result: "accepted", detail: "1C change notification" }),
    logRow({ at: minutesAgo(57), stage: "resolver", system: "onec", entity: "order", recordId: ORDER, targetSystem: "bitrix24", targetEntity: "deal", targetId: "42", result: "echo", detail: "our own write came back" }),
    logRow({ at: minutesAgo(10), stage: "onec-writer", system: "bitrix24", entity: "deal", recordId: "42", targetSystem: "onec", targetEntity: "order", targetId: ORDER, result: "dead-lettered", detail: SKU_42, attempts: 1 }),
    // A company 42 is another record than the deal 42; a row of it must not appear in the deal's history.
    logRow({ at: minutesAgo(5), stage: "resolver", system: "bitrix24", entity: "company", recordId: "42", result: "commanded", detail: "onec.counterparty.upsert" }),
    logRow({ at: minutesAgo(4), stage: "ingress", system: "onec", entity: "counterparty", recordId: COUNTERPARTY, targetSystem: "bitrix24", targetEntity: "company", targetId: "42", result: "accepted", detail: "1C change" }),
  ]);
  await d.insert(deadLetters).values([
    letter("42", "PRODUCT_NOT_FOUND", SKU_42, minutesAgo(10)),
    letter("43", "PRODUCT_NOT_FOUND", SKU_42, minutesAgo(9)),
    letter("44", "PRODUCT_NOT_FOUND", SKU_42, minutesAgo(8)),
    letter("44", "PRODUCT_NOT_FOUND", SKU_42, minutesAgo(7)),
    letter("45", "PRODUCT_NOT_FOUND", "no Catalog_Номенклатура item with Артикул SKU-7", minutesAgo(6)),
    letter("46", "ONEC_TIMEOUT", "1c POST Document_ЗаказКлиента: no answer in 30000 ms", minutesAgo(20), { errorKind: "retryable", failureClass: "pipeline" }),
    // Retried already: no longer a failure of any group.
    letter("47", "PRODUCT_NOT_FOUND", SKU_42, minutesAgo(30), { status: "retried" }),
  ]);

  const logger = createLogger("web-records-test", "error", new PassThrough());
  const bus = testBus.bus();
  const audit = createAuditTrail(backend, logger);
  const data: WebData = {
    db: db.db,
    bus,
    subjects: testBus.subjects,
    operations: createOperations(bus.js, testBus.subjects, createDlqClient(bus.nc, testBus.subjects, 1_000)),
    audit,
    flows: createFlowOperations({ modes: createFlowModes(testBus.state()), exchange: createExchangeClient(bus.nc, testBus.subjects, 1_000), js: bus.js, jsm: bus.jsm, subjects: testBus.subjects }),
    decisions: createDecisionClient(bus.nc, testBus.subjects, 1_000),
    circuits: () => requestCircuits(bus.nc, testBus.subjects, 1_000),
    links,
  };
  const web = createWebRouter({
    users: [
      { name: "anna", role: "operator", passwordHash: await hashPassword("anna-password-1", 4) },
      { name: "boris", role: "viewer", passwordHash: await hashPassword("boris-password-1", 4) },
    ],
    sessions: await openSessionStore(bus, testBus.subjects.sessionsBucket, { idleMs: 60_000, maxAgeMs: 3_600_000 }),
    audit,
    logger,
    timeZone: "Europe/Moscow",
    secureCookies: false,
    pages: [recordsPage, failuresPage].map((page) => (router: Router) => page(router, data)),
  });
  ({ base, close: closeWeb } = await serveWeb(web));
});
afterAll(async () => {
  await closeWeb?.();
  await db?.sql.unsafe(`drop schema if exists "${schema}" cascade`);
  await db?.close();
});

const signedIn = async (user: "anna" | "boris") => {
  const b = new Browser(base);
  expect((await b.signIn(user, `${user}-password-1`)).status).toBe(303);
  return b;
};

/** `data-*` attributes of every element with this data-testid, in page order. */
function testIds(html: string, testId: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const m of html.matchAll(new RegExp(`<[a-z]+ [^>]*data-testid="${testId}"[^>]*>`, "g"))) {
    const attrs: Record<string, string> = {};
    for (const a of m[0].matchAll(/data-([a-z-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!.replace(/&amp;/g, "&").replace(/&quot;/g, '"');
    out.push(attrs);
  }
  return out;
}
const results = (html: string) => testIds(html, "record-result").map((r) => `${r.system}:${r.entity}:${r.id}`);

describe("records", () => {
  it("finds a record by its 1C Ref_Key (in any case), with its pair", async () => {
    const b = await signedIn("boris");
    const { status, html } = await b.page(`/records?q=${ORDER.toUpperCase()}`);
    expect(status).toBe(200);
    expect(results(html)).toEqual([`onec:order:${ORDER}`]);
    expect(html).toContain('href="/records/bitrix24/deal/42"');
  });

  it("finds an order by its 1C number — from the writer's created row and from a pair's sync state — and by the deal reference", async () => {
    const b = await signedIn("boris");
    expect(results((await b.page(`/records?q=${encodeURIComponent("ТД00-000042")}`)).html)).toEqual(["bitrix24:deal:42", `onec:order:${ORDER}`]);
    expect(results((await b.page(`/records?q=${encodeURIComponent("ТД00-000077")}`)).html)).toEqual([`onec:order:${BORN_IN_1C}`, "bitrix24:deal:77"]);
    expect(results((await b.page("/records?q=B24-D-42")).html)).toEqual(["bitrix24:deal:42"]);
  });

  it("finds a company by its INN, a trace's records by the trace id, and every kind of record with a Bitrix24 id", async () => {
    const b = await signedIn("boris");
    const byInn = (await b.page(`/records?q=${INN}`)).html;
    expect(results(byInn)).toEqual(["bitrix24:company:42", `onec:counterparty:${COUNTERPARTY}`]);
    expect(byInn).toContain("ООО Ромашка");
    expect(results((await b.page(`/records?q=${TRACE}`)).html)).toEqual(["bitrix24:deal:42", `onec:order:${ORDER}`]);
    // A deal 42 and a company 42 are two records.
    expect(results((await b.page("/records?q=42")).html).sort()).toEqual(["bitrix24:company:42", "bitrix24:deal:42"]);
    const nothing = await b.page("/records?q=nothing-like-this");
    expect(testIds(nothing.html, "record-nothing")).toHaveLength(1);
  });

  it("shows a deal's history across both systems, newest first (or oldest first), with links to both records and the trace", async () => {
    const b = await signedIn("boris");
    const { status, html } = await b.page("/records/bitrix24/deal/42");
    expect(status).toBe(200);
    const rows = testIds(html, "timeline-row");
    const story = rows.map((r) => `${r.system}:${r.result}`);
    expect(story).toEqual(["bitrix24:dead-letter", "bitrix24:dead-lettered", "onec:echo", "onec:accepted", "bitrix24:pair-confirmed", "bitrix24:created", "bitrix24:commanded", "bitrix24:accepted", "bitrix24:pair-claimed"]);
    const times = rows.map((r) => Date.parse(r.at ?? ""));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    // Nothing of company 42 or its counterparty.
    expect(html).not.toContain(COUNTERPARTY);
    expect(testIds(html, "timeline-call")).toEqual([{ testid: "timeline-call", status: "201" }]);
    expect(html).toContain("order created as ТД00-000042");
    expect(html).toContain('href="https://b24.example/crm/deal/details/42/"');
    expect(html).toContain("https://1c.example/ut11/#e1cib/data/Документ.ЗаказКлиента?ref=9a512f1d8c0b7e114d0e3b7e6f1c0a52");
    expect(html).toContain(`href="https://trace.example/trace/${TRACE}"`);
    expect(html).toContain('href="/dead-letters/');

    const oldest = testIds((await b.page("/records/bitrix24/deal/42?order=oldest")).html, "timeline-row").map((r) => `${r.system}:${r.result}`);
    expect(oldest).toEqual([...story].reverse());
    // The pair's other side shows the same history.
    const fromOrder = testIds((await b.page(`/records/onec/order/${ORDER}`)).html, "timeline-row").map((r) => `${r.system}:${r.result}`);
    expect(fromOrder).toEqual(story);
  });

  it("answers a malformed record with 404, never a query", async () => {
    const b = await signedIn("boris");
    expect((await b.page("/records/onec/order/x'%29%2F..")).status).toBe(404);
    expect((await b.page("/records/bitrix24/order/42")).status).toBe(404);
  });

  it("speaks Russian", async () => {
    const b = await signedIn("boris");
    const { html } = await b.page("/records/bitrix24/deal/42?lang=ru");
    expect(html).toContain("Сначала старые");
    expect(html).toContain("Битрикс24 сделка 42");
  });
});

describe("failures by cause", () => {
  const groupOf = (html: string, value: string) => testIds(html, "failure-group").find((g) => g.value === value);

  it("groups open dead letters by code and the value they name, business apart from pipeline faults", async () => {
    const b = await signedIn("boris");
    const { status, html } = await b.page("/failures");
    expect(status).toBe(200);
    const sku42 = groupOf(html, "SKU-42");
    expect(sku42).toMatchObject({ code: "PRODUCT_NOT_FOUND", state: "open", class: "business" });
    // Four open letters of three deals (the retried one is not counted).
    const row = html.slice(html.indexOf(`data-key="${sku42!.key}"`));
    expect(/data-testid="group-records">(\d+)</.exec(row)?.[1]).toBe("3");
    expect(/data-testid="group-letters" data-count="(\d+)"/.exec(row)?.[1]).toBe("4");
    expect(row).toContain("no such 1C product: article SKU-42");
    expect(groupOf(html, "SKU-7")).toMatchObject({ code: "PRODUCT_NOT_FOUND" });
    const timeout = testIds(html, "failure-group").find((g) => g.code === "ONEC_TIMEOUT");
    expect(timeout).toMatchObject({ class: "pipeline" });
    expect(timeout?.value).toBeUndefined();
    // Pipeline faults in their own section, after the business rejections.
    expect(html.indexOf('data-testid="pipeline-groups"')).toBeGreaterThan(html.indexOf(`data-key="${sku42!.key}"`));
    expect(html.indexOf('data-code="ONEC_TIMEOUT"')).toBeGreaterThan(html.indexOf('data-testid="pipeline-groups"'));
    // Linked to the dead letters page, filtered.
    expect(row).toContain('href="/dead-letters?code=PRODUCT_NOT_FOUND&amp;status=open&amp;flow=bitrix24.deal%E2%86%92onec.order&amp;system=bitrix24"');
    // A viewer sees no buttons.
    expect(html).not.toContain('data-testid="acknowledge-group"');
  });

  it("refuses a viewer's acknowledge (403), records an operator's in the audit trail, and reopens a resolved group on a new letter", async () => {
    const key = groupOf((await (await signedIn("boris")).page("/failures")).html, "SKU-42")!.key!;
    const boris = await signedIn("boris");
    const refused = await boris.submit("/failures", "/failures/mark", { key, state: "acknowledged" });
    expect(refused.status).toBe(403);
    expect(backend.entries.filter((e) => e.action === "failure-group")).toHaveLength(0);

    const anna = await signedIn("anna");
    const acked = await anna.submit("/failures", "/failures/mark", { key, state: "acknowledged", note: "the catalogue is being fixed" });
    expect(acked.status).toBe(303);
    expect(acked.headers.get("location")).toBe("/failures?done=acknowledged");
    const after = await anna.page("/failures?done=acknowledged");
    expect(after.html).toContain("The group is acknowledged.");
    expect(groupOf(after.html, "SKU-42")).toMatchObject({ state: "acknowledged" });
    expect(after.html).toContain("the catalogue is being fixed");
    const entry = backend.entries.find((e) => e.action === "failure-group");
    expect(entry).toMatchObject({ actor: "anna", role: "operator", targetKind: "failure-group", targetId: key, result: "ok" });
    expect(entry?.detail).toContain("acknowledged: no such 1C product: article SKU-42 (4 open dead letter(s) of 3 record(s))");

    expect((await anna.submit(`/failures/group?key=${encodeURIComponent(key)}`, "/failures/mark", { key, state: "resolved", back: `/failures/group?key=${encodeURIComponent(key)}` })).status).toBe(303);
    const resolved = await anna.page(`/failures/group?key=${encodeURIComponent(key)}`);
    expect(groupOf(resolved.html, "SKU-42")).toMatchObject({ state: "resolved" });
    expect(testIds(resolved.html, "group-letter")).toHaveLength(4);
    expect(resolved.html).toContain('data-testid="group-history"');

    // The same article fails again for another deal: the group is open again, and says why.
    await db.db.insert(deadLetters).values(letter("48", "PRODUCT_NOT_FOUND", SKU_42, new Date(), { createdAt: new Date(Date.now() + 1_000) }));
    const reopened = await anna.page("/failures");
    expect(groupOf(reopened.html, "SKU-42")).toMatchObject({ state: "open" });
    expect(testIds(reopened.html, "group-reopened")).toHaveLength(1);
    expect(reopened.html).toContain("Reopened: new dead letters since it was resolved (anna");
  });

  it("refuses to mark a group that has no open dead letters", async () => {
    const anna = await signedIn("anna");
    expect((await anna.submit("/failures", "/failures/mark", { key: "NO_SUCH|x", state: "resolved" })).status).toBe(404);
    expect((await anna.submit("/failures", "/failures/mark", { key: "NO_SUCH|x", state: "deleted" })).status).toBe(400);
  });
});
