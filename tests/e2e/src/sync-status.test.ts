import { waitFor } from "@concord/testkit";
import { waitReady } from "@concord/launcher";
import type { DeadLetterRecord } from "@concord/contracts";
import { COUNTERPARTY_SET, ORDER_SET, createDeal, createInOnec, managerOrder, onecOrder, ordersOfDeal, startTestSystem, waitQuiet, type TestSystem } from "./harness";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";

jest.setTimeout(240_000);

/**
 * The sync status where sales people look (issue 15): the deal's UF_CRM_CONCORD_SYNC field
 * (config/concord.policy.yaml `syncStatus`) and its timeline. The 1C writer reaches its sandbox
 * through a fault proxy, so 1C can stop answering; short circuit settings keep the run short.
 */
let t: TestSystem;
let onec: FaultProxy;
const FIELD = "UF_CRM_CONCORD_SYNC";

beforeAll(async () => {
  onec = await startFaultProxy();
  const outage = { CIRCUIT_PROBE_MIN_MS: "500", CIRCUIT_PROBE_MAX_MS: "2000", CIRCUIT_WINDOW_MS: "10000", CIRCUIT_DISTINCT_RECORDS: "2" };
  t = await startTestSystem({ env: { "onec-writer": { ...outage, ONEC_TIMEOUT_MS: "4000", ONEC_CREATE_SETTLE_MS: "8000" } } });
  onec.setTarget(t.config.ports["sandbox-1c"]);
  const writers = [...t.system.processes.values()].filter((p) => p.spec.name === "onec-writer" || p.spec.name.startsWith("onec-writer-"));
  for (const proc of writers) {
    await proc.stop();
    proc.spec.env.ONEC_ODATA_URL = onec.via(proc.spec.env.ONEC_ODATA_URL!);
    proc.start();
  }
  for (const proc of writers) await waitReady(proc);
}, 180_000);

afterAll(async () => {
  await t?.onecAdmin("reject", { method: "DELETE" }).catch(() => undefined);
  await t?.stop();
  await onec?.stop();
}, 60_000);

const statusOf = async (dealId: string) => String((await t.b24<Record<string, unknown>>("crm.deal.get", { id: dealId }))[FIELD] ?? "");
const waitStatus = (dealId: string, wanted: (text: string) => boolean, what: string, timeoutMs = 60_000) =>
  waitFor(async () => {
    const text = await statusOf(dealId);
    return wanted(text) ? text : undefined;
  }, { timeoutMs, intervalMs: 300, what });

async function commentsOf(dealId: string): Promise<string[]> {
  const all = await t.b24Admin<Array<Record<string, unknown>>>("records/timeline");
  return all.filter((c) => String(c.ENTITY_ID) === dealId).map((c) => String(c.COMMENT));
}

/** What crm-writer wrote of the deal's status, in order (each one a field write, a comment, or both). */
async function statusWrites(dealId: string): Promise<string[]> {
  const rows = await t.sql<Array<{ detail: string }>>`
    select detail from exchange_log where stage = 'crm-writer' and record_id = ${dealId} and result = 'applied' and message_id like 'cmd:bitrix24.deal.status:%' order by id`;
  return rows.map((r) => r.detail);
}

/** POST and PATCH requests 1C answered for orders since `since` (creates, updates; not posting). */
async function orderWritesSince(since: number): Promise<number> {
  const requests = await t.onecAdmin<Array<{ at: string; method: string; path: string }>>("requests?limit=1000");
  return requests.filter((r) => Date.parse(r.at) >= since && (r.method === "POST" || r.method === "PATCH") && r.path.includes(`/${ORDER_SET}`) && !/\)\/(Post|Unpost)/.test(r.path)).length;
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${t.config.ports.console}${path}`, { ...init, headers: { "content-type": "application/json", authorization: `Bearer ${t.config.secrets.consoleApiToken}` } });
  expect(response.status).toBeLessThan(300);
  return (await response.json()) as T;
}

it("shows 1C's refusal on the deal with one comment, sends nothing to 1C for its own write, and shows the order number with a recovery comment after the dead letter is retried", async () => {
  await t.onecAdmin("reject", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ set: ORDER_SET, when: { field: "Комментарий", contains: "REJECT" }, message: "Недопустимый заказ" }),
  });
  const started = Date.now();
  const { dealId } = await createDeal(t, { title: "REJECT: статус" });
  await waitStatus(dealId, (s) => s === "1C refused: Недопустимый заказ", "the refusal on the deal");
  await waitQuiet(t);

  expect(await commentsOf(dealId)).toEqual([expect.stringMatching(/^Concord: 1C refused the order of this deal: Недопустимый заказ\./)]);
  expect(await statusWrites(dealId)).toEqual([`${FIELD} set to "1C refused: Недопустимый заказ"; timeline comment added`]);
  // The refused create was sent once; the deal event of the status write sent nothing to 1C.
  expect(await orderWritesSince(started)).toBe(1);
  const echoes = await t.sql<Array<{ detail: string }>>`select detail from exchange_log where stage = 'resolver' and record_id = ${dealId} and result = 'skipped' and detail like '1C refused this deal''s order%'`;
  expect(echoes.length).toBeGreaterThanOrEqual(1);
  const letters = await api<{ deadLetters: DeadLetterRecord[] }>("/api/dlq?status=open");
  const mine = letters.deadLetters.filter((d) => d.recordId === dealId);
  expect(mine).toHaveLength(1);

  // Fixed in 1C, retried from the DLQ: the order is created once and the deal says so.
  await t.onecAdmin("reject", { method: "DELETE" });
  await api(`/api/dlq/${mine[0]!.id}/retry`, { method: "POST", body: "{}" });
  const [order] = await waitFor(async () => {
    const orders = await ordersOfDeal(t, dealId);
    return orders.length > 0 ? orders : undefined;
  }, { timeoutMs: 60_000, what: "the order after the retry" });
  await waitStatus(dealId, (s) => s === `1C: order ${String(order?.Number)}`, "the order number on the deal");
  await waitQuiet(t);
  expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
  const comments = await commentsOf(dealId);
  expect(comments).toHaveLength(2);
  expect(comments[1]).toBe(`Concord: the order of this deal is in 1C now (order ${String(order?.Number)}).`);
  expect(await statusWrites(dealId)).toHaveLength(2);
});

it("shows 'waiting for 1C' while 1C does not answer, then the order number, with no comment", async () => {
  await onec.mode({ kind: "answer", status: 503, body: "<html><body>Service Unavailable</body></html>", contentType: "text/html" });
  let dealId = "";
  try {
    // Two customers failing on 1C open its circuit; a deal decided while it is open waits for it.
    await createDeal(t);
    await createDeal(t);
    await waitFor(async () => {
      const readyz = (await (await fetch(`http://127.0.0.1:${t.config.ports["onec-writer"]}/readyz`)).json()) as { circuits: Array<{ status: string }> };
      return readyz.circuits[0]?.status === "open" ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: "1C's circuit to open" });
    ({ dealId } = await createDeal(t));
    const text = await waitStatus(dealId, (s) => s.startsWith("waiting for 1C"), "the wait on the deal");
    const readyz = (await (await fetch(`http://127.0.0.1:${t.config.ports["onec-writer"]}/readyz`)).json()) as { circuits: Array<{ since: string | null }> };
    const since = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Moscow", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(String(readyz.circuits[0]?.since)));
    expect(text).toBe(`waiting for 1C (not answering since ${since})`);
  } finally {
    await onec.mode({ kind: "pass" });
  }
  const [order] = await waitFor(async () => {
    const orders = await ordersOfDeal(t, dealId);
    return orders.length > 0 ? orders : undefined;
  }, { timeoutMs: 120_000, intervalMs: 1_000, what: "the order once 1C answers" });
  await waitStatus(dealId, (s) => s === `1C: order ${String(order?.Number)}`, "the order number after the wait", 60_000);
  await waitQuiet(t);
  expect(await commentsOf(dealId)).toEqual([]);
  // Once per change of text: the wait, then the number (on a loaded machine 1C's circuit may open
  // again while the order is written — another wait and its end, each written once).
  const writes = await statusWrites(dealId);
  expect(writes[0]).toContain('"waiting for 1C (not answering since');
  expect(writes.at(-1)).toBe(`${FIELD} set to "1C: order ${String(order?.Number)}"`);
  expect(writes.filter((w, i) => i > 0 && w === writes[i - 1])).toEqual([]);
  expect(writes.length).toBeLessThanOrEqual(4);
  expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
});

it("gives a deal born in 1C its order number at creation, and writes no status of its own afterwards", async () => {
  const product = (await t.onecRecords("Catalog_Номенклатура")).find((p) => p.Артикул === "SKU-008") as Record<string, unknown>;
  const partner = await createInOnec(t, "Catalog_Партнеры", { Description: "ООО Статус", Клиент: true, ЮрФизЛицо: "Компания" });
  const counterparty = await createInOnec(t, COUNTERPARTY_SET, { Description: "ООО Статус", ИНН: "7707654321", КПП: "770701001", ЮрФизЛицо: "ЮрЛицо", Партнер_Key: partner.Ref_Key });
  const order = await createInOnec(t, ORDER_SET, managerOrder({ counterparty: counterparty.Ref_Key, partner: partner.Ref_Key }, "Заказ из 1С: статус", [{ product: product.Ref_Key, quantity: 1, price: 300 }]));
  const deal = await waitFor(async () => {
    const found = await t.b24<Array<Record<string, unknown>>>("crm.deal.list", { filter: { ORIGIN_ID: order.Ref_Key }, select: ["ID", FIELD] });
    return found[0];
  }, { timeoutMs: 45_000, what: "the deal of the 1C order" });
  const dealId = String(deal.ID);
  expect(deal[FIELD]).toBe(`1C: order ${String(order.Number)}`);
  // A CRM edit goes to 1C; its outcome carries the same number: nothing more is written on the deal.
  await t.b24("crm.deal.update", { id: dealId, fields: { TITLE: "Статус: правка в CRM" } });
  await waitFor(async () => ((await onecOrder(t, String(order.Ref_Key))).Комментарий === "Статус: правка в CRM" ? true : undefined), { timeoutMs: 30_000, what: "the title in 1C" });
  await waitQuiet(t);
  expect(await statusOf(dealId)).toBe(`1C: order ${String(order.Number)}`);
  expect(await statusWrites(dealId)).toEqual([]);
  expect(await commentsOf(dealId)).toEqual([]);
});
