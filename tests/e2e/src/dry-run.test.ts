import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@concord/testkit";
import { COUNTERPARTY_SET, ORDER_SET, createDeal, markerOf, ordersOfDeal, startTestSystem, waitQuiet, type TestSystem, createInOnec as createOnecRecord, managerOrder } from "./harness";

jest.setTimeout(240_000);

type Rec = Record<string, unknown>;
let t: TestSystem;

beforeAll(async () => {
  // Orders CRM→1C and customers start in dry-run from the policy file; orders 1C→CRM is switched to dry-run through the API.
  const shipped = readFileSync(join(__dirname, "..", "..", "..", "config", "concord.policy.yaml"), "utf8");
  const policyFile = join(mkdtempSync(join(tmpdir(), "concord-dry-run-")), "policy.yaml");
  writeFileSync(policyFile, shipped.replace("  dryRun: []\n", "  dryRun: [orders.crmToOnec, customers]\n"));
  t = await startTestSystem({ env: { resolver: { POLICY_FILE: policyFile } } });
}, 240_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

async function api<T = Rec>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`http://127.0.0.1:${t.config.ports.console}${path}`, {
    method,
    headers: { authorization: `Bearer ${t.config.secrets.consoleApiToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const createInOnec = (set: string, body: Rec) => createOnecRecord(t, set, body);

interface Row {
  stage: string;
  system: string;
  entity: string;
  record_id: string;
  result: string;
  detail: string;
}
const dryRuns = () => t.sql<Row[]>`select stage, system, entity, record_id, result, detail from exchange_log where result = 'dry-run' order by id`;
const countOf = async (table: string) => Number((await t.sql<Array<{ n: number }>>`select count(*)::int as n from ${t.sql(table)}`)[0]?.n);

/** The JSON body of a writer's would-be write ("dry-run (flow): would create X: {…}"). */
function bodyOf(detail: string): Rec {
  const json = detail.slice(detail.indexOf(": {") + 2);
  return JSON.parse(json) as Rec;
}

let deal: { dealId: string; companyId: string };
let onecBorn: { order: Rec; counterparty: Rec };
let counterpartiesBefore = 0;

it("in dry-run writes nothing to either system, records no mapping or sync state, and shows the would-be writes", async () => {
  const { body: flows } = await api<{ flows: Array<{ flow: string; mode: string; record: { source: string } | null }> }>("GET", "/api/flows");
  expect(flows.flows.map((f) => [f.flow, f.mode, f.record?.source])).toEqual([
    ["orders.crmToOnec", "dry-run", "policy"],
    ["orders.onecToCrm", "live", "policy"],
    ["customers", "dry-run", "policy"],
    ["products", "live", "policy"],
  ]);
  const switched = await api<Rec>("PUT", "/api/flows/orders.onecToCrm", { mode: "dry-run", reason: "watch it first" });
  expect(switched.status).toBe(200);
  expect(switched.body).toMatchObject({ flow: "orders.onecToCrm", mode: "dry-run", changed: true, replay: null });

  counterpartiesBefore = (await t.onecRecords(COUNTERPARTY_SET)).length;
  deal = await createDeal(t, { title: "Сухой прогон" });
  const writes = await waitFor(async () => {
    const rows = (await dryRuns()).filter((r) => r.stage === "onec-writer");
    return rows.some((r) => r.entity === "deal" && r.record_id === deal.dealId) && rows.some((r) => r.entity === "company" && r.record_id === deal.companyId) ? rows : undefined;
  }, { timeoutMs: 60_000, what: "the would-be writes of the deal's order and counterparty" });

  // A 1C-born order, with orders 1C→CRM in dry-run: no deal, no company.
  const product = (await t.onecRecords("Catalog_Номенклатура")).find((p) => p.Артикул === "SKU-005") as Rec;
  const partner = await createInOnec("Catalog_Партнеры", { Description: "ООО Из 1С сухо", Клиент: true, ЮрФизЛицо: "Компания" });
  const counterparty = await createInOnec(COUNTERPARTY_SET, { Description: "ООО Из 1С сухо", ИНН: "7707083893", КПП: "773601001", ЮрФизЛицо: "ЮрЛицо", Партнер_Key: partner.Ref_Key });
  const order = await createInOnec(ORDER_SET, managerOrder({ counterparty: counterparty.Ref_Key, partner: partner.Ref_Key }, "Заказ из 1С, сухой прогон", [{ product: product.Ref_Key, quantity: 4, price: 300 }]));
  onecBorn = { order, counterparty };
  await waitFor(async () => ((await dryRuns()).some((r) => r.stage === "crm-writer" && r.entity === "order" && r.record_id === order.Ref_Key) ? true : undefined), {
    timeoutMs: 60_000,
    what: "the would-be deal of the 1C order",
  });
  await waitQuiet(t);

  // Nothing written: no order, no new counterparty in 1C; the deal not linked; no deal or company from 1C.
  expect(await ordersOfDeal(t, deal.dealId)).toEqual([]);
  expect((await t.onecRecords(COUNTERPARTY_SET)).length).toBe(counterpartiesBefore + 1); // the one created in 1C above
  expect((await t.b24<Rec>("crm.deal.get", { id: deal.dealId })).ORIGIN_ID ?? "").toBe("");
  expect(await t.b24<Rec[]>("crm.deal.list", { filter: { ORIGIN_ID: order.Ref_Key } })).toEqual([]);
  expect(await t.b24<Rec[]>("crm.company.list", { filter: { ORIGIN_ID: counterparty.Ref_Key } })).toEqual([]);
  expect(await countOf("id_mapping")).toBe(0);
  expect(await countOf("sync_state")).toBe(0);

  // The would-be bodies, resolved references where they exist, placeholders where they don't.
  const orderWrite = writes.find((r) => r.entity === "deal")!;
  expect(orderWrite.detail).toMatch(/^dry-run \(orders\.crmToOnec\): would create Document_ЗаказКлиента/);
  expect(bodyOf(orderWrite.detail)).toMatchObject({ Комментарий: "Сухой прогон", НомерПоДаннымКлиента: `B24-D-${deal.dealId}`, Контрагент_Key: `(new counterparty of company ${deal.companyId})` });
  const counterpartyWrite = writes.find((r) => r.entity === "company")!;
  expect(counterpartyWrite.detail).toMatch(/would create Catalog_Партнеры and Catalog_Контрагенты/);
  const dealWrite = (await dryRuns()).find((r) => r.stage === "crm-writer" && r.entity === "order")!;
  expect(bodyOf(dealWrite.detail)).toMatchObject({ TITLE: "Заказ из 1С, сухой прогон", COMPANY_ID: `(new company or contact for 1C counterparty ${String(counterparty.Ref_Key)})` });

  // What the console shows for the flow.
  const { body: shown } = await api<{ writes: Array<{ subject: { entity: string; id: string }; detail: string }> }>("GET", "/api/flows/orders.crmToOnec/dry-run");
  expect(shown.writes.map((w) => `${w.subject.entity}:${w.subject.id}`).sort()).toEqual([`company:${deal.companyId}`, `deal:${deal.dealId}`]);
});

it("switched live, writes exactly what the dry-run showed, once, and records the switch in the audit trail", async () => {
  const wouldBe = bodyOf((await dryRuns()).find((r) => r.stage === "onec-writer" && r.entity === "deal")!.detail);
  const wouldBeCounterparty = bodyOf((await dryRuns()).find((r) => r.stage === "onec-writer" && r.entity === "company")!.detail);
  const switched = await api<{ mode: string; changed: boolean; replay: { records: number; exchangeLogCaughtUp: boolean } }>("PUT", "/api/flows/orders.crmToOnec", { mode: "live" });
  expect(switched.status).toBe(200);
  expect(switched.body).toMatchObject({ mode: "live", changed: true, replay: { exchangeLogCaughtUp: true } });
  expect(switched.body.replay.records).toBeGreaterThanOrEqual(1);

  const [created] = await waitFor(async () => {
    const orders = await ordersOfDeal(t, deal.dealId);
    return orders.length > 0 ? orders : undefined;
  }, { timeoutMs: 60_000, what: "the order in 1C after the switch" });
  await waitFor(async () => ((await t.b24<Rec>("crm.deal.get", { id: deal.dealId })).ORIGIN_ID ? true : undefined), { timeoutMs: 30_000, what: "the deal's link-back" });
  await waitQuiet(t);

  expect(await ordersOfDeal(t, deal.dealId)).toHaveLength(1);
  expect(created).toMatchObject({ Комментарий: wouldBe.Комментарий, НомерПоДаннымКлиента: wouldBe.НомерПоДаннымКлиента, Статус: wouldBe.Статус });
  const lines = (rows: unknown) => (rows as Rec[]).map((r) => [r.Номенклатура_Key, Number(r.Количество), Number(r.Цена)]);
  expect(lines(created!.Товары)).toEqual(lines(wouldBe.Товары));
  const counterparties = (await t.onecRecords(COUNTERPARTY_SET)).filter((c) => markerOf(c) === `concord:bitrix24:company:${deal.companyId}`);
  expect(counterparties).toHaveLength(1);
  expect(counterparties[0]).toMatchObject({ Description: wouldBeCounterparty.Description, ЮрФизЛицо: wouldBeCounterparty.ЮрФизЛицо });
  expect(created!.Контрагент_Key).toBe(counterparties[0]!.Ref_Key);

  // Orders 1C→CRM is still in dry-run: the 1C-born order has no deal yet.
  expect(await t.b24<Rec[]>("crm.deal.list", { filter: { ORIGIN_ID: onecBorn.order.Ref_Key } })).toEqual([]);
  const audit = await t.sql<Array<{ actor: string; target_kind: string; target_id: string; result: string; detail: string }>>`
    select actor, target_kind, target_id, result, detail from audit_log where action = 'flow.change' order by id`;
  expect(audit.map((a) => [a.target_kind, a.target_id, a.result])).toEqual([
    ["flow", "orders.onecToCrm", "ok"],
    ["flow", "orders.crmToOnec", "ok"],
  ]);
  expect(audit[0]?.detail).toContain("reason: watch it first");
  expect(audit[1]?.detail).toMatch(/set to live since .*; decided again, live: \d+ record/);
});

it("orders 1C→CRM switched live creates the deal the dry-run showed, with its company, once", async () => {
  const wouldBe = bodyOf((await dryRuns()).find((r) => r.stage === "crm-writer" && r.entity === "order")!.detail);
  expect((await api("PUT", "/api/flows/orders.onecToCrm", { mode: "live" })).status).toBe(200);
  const [created] = await waitFor(async () => {
    const deals = await t.b24<Rec[]>("crm.deal.list", { filter: { ORIGIN_ID: onecBorn.order.Ref_Key }, select: ["*", "UF_*"] });
    return deals.length > 0 ? deals : undefined;
  }, { timeoutMs: 60_000, what: "the deal of the 1C order after the switch" });
  await waitQuiet(t);
  expect(await t.b24<Rec[]>("crm.deal.list", { filter: { ORIGIN_ID: onecBorn.order.Ref_Key } })).toHaveLength(1);
  expect(created).toMatchObject({ TITLE: wouldBe.TITLE, STAGE_ID: wouldBe.STAGE_ID });
  const companies = await t.b24<Rec[]>("crm.company.list", { filter: { ORIGIN_ID: onecBorn.counterparty.Ref_Key } });
  expect(companies).toHaveLength(1);
  expect(created?.COMPANY_ID).toBe(companies[0]?.ID);
});

it("customers in dry-run show a rename without writing it; switched live, write it", async () => {
  await t.b24("crm.company.update", { id: deal.companyId, fields: { TITLE: "ООО Переименовано" } });
  await waitFor(async () => ((await dryRuns()).some((r) => r.stage === "onec-writer" && r.detail.startsWith("dry-run (customers)") && r.detail.includes("ООО Переименовано")) ? true : undefined), {
    timeoutMs: 60_000,
    what: "the would-be rename of the counterparty",
  });
  await waitQuiet(t);
  const mine = () => t.onecRecords(COUNTERPARTY_SET).then((all) => all.filter((c) => markerOf(c) === `concord:bitrix24:company:${deal.companyId}`));
  expect((await mine())[0]?.Description).not.toBe("ООО Переименовано");
  expect((await api("PUT", "/api/flows/customers", { mode: "live" })).status).toBe(200);
  await waitFor(async () => ((await mine())[0]?.Description === "ООО Переименовано" ? true : undefined), { timeoutMs: 60_000, what: "the rename in 1C after the switch" });
  expect(await mine()).toHaveLength(1);
});
