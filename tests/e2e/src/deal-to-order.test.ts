import { readFileSync } from "node:fs";
import { waitFor } from "@concord/testkit";
import { COUNTERPARTY_SET, createDeal, mappingOf, ordersOfDeal, startTestSystem, markerOf, type TestSystem } from "./harness";

jest.setTimeout(90_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem();
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

type Rec = Record<string, unknown>;
const lines = (order: Rec) => order.Товары as Rec[];

async function productRef(sku: string): Promise<string> {
  const products = await t.onecRecords("Catalog_Номенклатура");
  const product = products.find((p) => p.Артикул === sku);
  if (!product) throw new Error(`sandbox has no product ${sku}`);
  return String(product.Ref_Key);
}

async function oneOrder(dealId: string): Promise<Rec> {
  const orders = await waitFor(async () => {
    const found = await ordersOfDeal(t, dealId);
    return found.length > 0 ? found : undefined;
  }, { timeoutMs: 30_000, what: `the 1C order of deal ${dealId}` });
  return orders[0] as Rec;
}

/** Messages stored in the EVENTS stream about one record. */
async function storedEvents(sourceId: string): Promise<number> {
  const info = await t.jsm.streams.info(t.subjects.streams.events);
  let count = 0;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await t.jsm.streams.getMessage(t.subjects.streams.events, { seq }).catch(() => null);
    if (msg && (msg.json() as { sourceId?: string }).sourceId === sourceId) count++;
  }
  return count;
}

it("turns a new deal with a company and two product rows into exactly one 1C order and links the deal back", async () => {
  const { dealId, companyId } = await createDeal(t);
  const order = await oneOrder(dealId);

  const deal = await waitFor(async () => {
    const d = await t.b24<Rec>("crm.deal.get", { id: dealId });
    return d.ORIGIN_ID ? d : undefined;
  }, { what: "ORIGIN_ID on the deal" });
  expect(deal.ORIGIN_ID).toBe(order.Ref_Key);
  expect(deal.ORIGINATOR_ID).toBe("1C");

  const counterparties = (await t.onecRecords(COUNTERPARTY_SET)).filter((c) => markerOf(c) === `concord:bitrix24:company:${companyId}`);
  expect(counterparties).toHaveLength(1);
  expect(order.Контрагент_Key).toBe(counterparties[0]?.Ref_Key);
  expect(order.Партнер_Key).toBe(counterparties[0]?.Партнер_Key);
  expect(order.Партнер_Key).not.toBe("00000000-0000-0000-0000-000000000000");
  expect(order.Статус).toBe("КОбеспечению");
  expect(order.СуммаДокумента).toBe(1600);
  expect(lines(order).map((l) => [l.Номенклатура_Key, l.Количество, l.Цена, l.Сумма])).toEqual([
    [await productRef("SKU-001"), 2, 500, 1000],
    [await productRef("SKU-002"), 1, 600, 600],
  ]);

  // The link-back and the 1C notifications come back as events: they must not create anything.
  await sleep(4_000);
  expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
  const [pair] = await mappingOf(t, "deal", dealId);
  expect(pair).toMatchObject({ state: "confirmed", target_id: order.Ref_Key });
  const outcomes = await t.sql<Array<{ stage: string; result: string }>>`
    select stage, result from exchange_log where system = 'bitrix24' and entity = 'deal' and record_id = ${dealId}`;
  expect(outcomes.filter((o) => o.stage === "onec-writer" && o.result === "created")).toHaveLength(1);
  expect(outcomes.some((o) => o.stage === "resolver" && o.result === "echo")).toBe(true);
});

it("gives one order when the same webhook arrives 5 times concurrently", async () => {
  await t.b24Admin("event-handlers", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: null }) });
  let dealId: string;
  try {
    ({ dealId } = await createDeal(t));
  } finally {
    await t.b24Admin("event-handlers", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: `http://127.0.0.1:${t.config.ports.ingress}/webhooks/bitrix24` }) });
  }
  const body = new URLSearchParams({
    event: "ONCRMDEALADD",
    event_handler_id: "1",
    "data[FIELDS][ID]": dealId,
    ts: String(Math.floor(Date.now() / 1000)),
    "auth[domain]": "sandbox.bitrix24.local",
    "auth[member_id]": "abc",
    "auth[application_token]": t.config.secrets.b24ApplicationToken,
  }).toString();
  const answers = await Promise.all(
    Array.from({ length: 5 }, () =>
      fetch(`http://127.0.0.1:${t.config.ports.ingress}/webhooks/bitrix24`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }),
    ),
  );
  expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
  await oneOrder(dealId);
  await sleep(3_000);
  expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
  expect(await storedEvents(dealId)).toBeGreaterThanOrEqual(1);
  const [pair] = await mappingOf(t, "deal", dealId);
  expect(pair?.state).toBe("confirmed");
});

it("ends 20 rapid updates of one deal with the 1C order equal to the deal's last state", async () => {
  const { dealId } = await createDeal(t);
  await oneOrder(dealId);
  const products = await t.b24<Array<Rec>>("crm.deal.productrows.get", { id: dealId });
  for (let i = 1; i <= 20; i++) {
    if (i % 2 === 1) await t.b24("crm.deal.update", { id: dealId, fields: { TITLE: `Rapid ${i}`, STAGE_ID: i === 19 ? "FINAL_INVOICE" : "EXECUTING" } });
    else await t.b24("crm.deal.productrows.set", { id: dealId, rows: products.map((p) => ({ PRODUCT_ID: p.PRODUCT_ID, PRICE: p.PRICE, QUANTITY: i })) });
  }
  const final = await waitFor(async () => {
    const [order] = await ordersOfDeal(t, dealId);
    return order && order.Комментарий === "Rapid 19" && lines(order).every((l) => l.Количество === 20) ? order : undefined;
  }, { timeoutMs: 45_000, what: "the order to reach the deal's last state" });
  expect(final.Статус).toBe("КОтгрузке");
  expect(final.СуммаДокумента).toBe(20 * 500 + 20 * 600);
  expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
});

it("creates one counterparty for two deals of the same new company", async () => {
  const companyId = await t.b24<number>("crm.company.add", { fields: { TITLE: "ООО Общая" } });
  const [a, b] = await Promise.all([createDeal(t, { companyId }), createDeal(t, { companyId })]);
  const [orderA, orderB] = await Promise.all([oneOrder(a.dealId), oneOrder(b.dealId)]);
  await sleep(2_000);
  const counterparties = (await t.onecRecords(COUNTERPARTY_SET)).filter((c) => markerOf(c) === `concord:bitrix24:company:${companyId}`);
  expect(counterparties).toHaveLength(1);
  expect(orderA.Контрагент_Key).toBe(counterparties[0]?.Ref_Key);
  expect(orderB.Контрагент_Key).toBe(counterparties[0]?.Ref_Key);
  const partners = (await t.onecRecords("Catalog_Партнеры")).filter((p) => markerOf(p) === `concord:bitrix24:company:${companyId}`);
  expect(partners).toHaveLength(1);
});

it("carries one trace from the webhook through resolver and writer to the 1C call", async () => {
  const spans = readFileSync(t.config.tracesFile as string, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { traceId: string; name: string; service: string });
  const traces = new Map<string, typeof spans>();
  for (const span of spans) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
  const complete = [...traces.values()].filter(
    (trace) =>
      trace.some((s) => s.service === "ingress" && s.name.startsWith("webhook")) &&
      trace.some((s) => s.service === "resolver") &&
      trace.some((s) => s.service === "onec-writer" && s.name === "1c POST Document_ЗаказКлиента"),
  );
  expect(complete.length).toBeGreaterThan(0);
  // The trace context reached 1C itself, in the traceparent header of the create call.
  const requests = await t.onecAdmin<Array<{ method: string; traceparent?: string | null }> | { requests: Array<{ method: string; traceparent?: string | null }> }>("requests?limit=1000");
  const list = Array.isArray(requests) ? requests : requests.requests;
  const traceId = complete[0]?.[0]?.traceId as string;
  expect(list.some((r) => r.traceparent?.includes(traceId))).toBe(true);
});

it("answers bad input with a 4xx and a reason, publishes nothing and keeps every process running", async () => {
  const url = `http://127.0.0.1:${t.config.ports.ingress}/webhooks/bitrix24`;
  const form = (fields: Record<string, string>) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
  const valid = { event: "ONCRMDEALUPDATE", "data[FIELDS][ID]": "987654", ts: String(Math.floor(Date.now() / 1000)), "auth[application_token]": t.config.secrets.b24ApplicationToken };

  const wrongToken = await fetch(url, form({ ...valid, "auth[application_token]": "not-the-token" }));
  expect(wrongToken.status).toBe(401);
  const malformed = await fetch(url, form({ ...valid, "data[FIELDS][ID]": "abc" }));
  expect(malformed.status).toBe(400);
  expect(JSON.stringify(await malformed.json())).toMatch(/ID/);
  const oversize = await fetch(url, form({ ...valid, padding: "x".repeat(200_000) }));
  expect(oversize.status).toBe(413);
  const onec = await fetch(`http://127.0.0.1:${t.config.ports.ingress}/webhooks/1c`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  expect(onec.status).toBe(401);

  expect(await storedEvents("987654")).toBe(0);
  for (const proc of t.system.processes.values()) expect(proc.running).toBe(true);
});

it("never writes a secret to any log or trace of the run", async () => {
  await sleep(500);
  const text = t.logText();
  expect(text.length).toBeGreaterThan(1000);
  const { b24WebhookToken, b24ApplicationToken, onecPassword, onecWebhookSecret } = t.config.secrets;
  for (const secret of [b24WebhookToken, b24ApplicationToken, onecPassword, onecWebhookSecret.slice("whsec_".length)]) {
    expect(text.includes(secret)).toBe(false);
    expect(text.includes(encodeURIComponent(secret))).toBe(false);
  }
  expect(text.includes(Buffer.from(`concord:${onecPassword}`).toString("base64"))).toBe(false);
});
