import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type postgres from "postgres";
import { Headers, ONEC_ORIGINATOR_ID, catalogEntry, type Subjects } from "@concord/contracts";
import { stageToStatus, statusToStage, type Policy } from "@concord/policy";
import { COUNTERPARTY_SET, ORDER_SET, PARTNER_SET, PRODUCT_SET, concordMarker, type Clients, type Rec } from "./clients";
import type { Secrets } from "./infra";
import { decodeDataVersion, occurrences, readField, type CrmRowsVersion } from "./unowned";
import { ONEC_NAME_LENGTH, POISON_STAGE, type WorkloadResult } from "./workload";
import type { DeciderResult } from "./legacy";
import { checkMatching, keyDuplicates, readMappings, readMatching, supersededClaim, type MappingRow, type MatchingReport } from "./matching-check";

/**
 * Reads both sandboxes, the mapping, the exchange log, the dead letters, the streams and the
 * log files after the drain, and judges the run by the eight invariants. Every check counts
 * what it looked at and lists what broke it (the first few, with record ids).
 */

export interface Invariant {
  id: number;
  name: string;
  pass: boolean;
  /** One line: what was checked and what was found. */
  summary: string;
  problems: string[];
}

export interface CheckDeps {
  sql: postgres.Sql;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: Subjects;
  clients: Clients;
  policy: Policy;
  workload: WorkloadResult;
  /** Issue 13: the decisions the person at the console took. */
  decisions: DeciderResult;
  secrets: Secrets;
  logDir: string;
  writesPerAppliedBound: number;
  /** The 1C outage's start and end (issue 11): dead letters of records failing meanwhile are the outage's. */
  outageWindow: { from: number; to: number } | null;
}

export interface CheckReport {
  invariants: Invariant[];
  duplicates: number;
  losses: number;
  writes: { concord: number; applied: number; ratio: number };
  /** Invariant 8: values Concord does not own that were checked, and those found changed. */
  unowned: { checked: number; changed: number };
  /** Issue 11: dead letters not of a poisoned record, and of them those whose failures fall in or after the 1C outage. */
  outageLetters: { other: number; duringOutage: number };
  /** Issue 13: legacy customers matched by keys and by people. */
  matching: MatchingReport["figures"];
}

/** Results that end a message's story at its stage ("accepted" and "retrying" do not). */
const TERMINAL = new Set(["commanded", "created", "applied", "echo", "stale", "skipped", "dead-lettered", "compensated"]);

/** The id a mapping row holds for one of its ends, by entity (`deal`, `order`, …), or null. */
const endOf = (m: MappingRow, entity: string) => (m.source_entity === entity ? m.source_id : m.target_entity === entity ? m.target_id : null);
const key = (system: string, entity: string, id: unknown) => `${system}:${entity}:${String(id).toLowerCase()}`;
const str = (v: unknown) => (v === undefined || v === null || v === "" ? null : String(v));
const money = (v: unknown) => Number(v ?? 0).toFixed(2);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : Number(v ?? 0) || 0);
const round2 = (n: number) => Math.round((n + Math.sign(n) * Number.EPSILON) * 100) / 100;
const EMPTY_GUID = "00000000-0000-0000-0000-000000000000";
/** A name as 1C stores it: its first 100 characters. */
export const asOnecName = (name: unknown) => [...String(name ?? "")].slice(0, ONEC_NAME_LENGTH).join("");
const VAT_PERCENT: Record<string, number> = { БезНДС: 0, НДС0: 0, НДС5: 5, НДС7: 7, НДС10: 10, НДС18: 18, НДС20: 20, НДС22: 22, НДС5_105: 5, НДС7_107: 7, НДС10_110: 10, НДС18_118: 18, НДС20_120: 20, НДС22_122: 22 };
/** A 1C row's VAT as UT 11 computes it: carved out of Сумма when prices include VAT, on top otherwise. */
const vatOf = (sum: number, percent: number, included: boolean) => round2(included ? (sum * percent) / (100 + percent) : (sum * percent) / 100);
/** What the customer pays for a 1C row, VAT included: the terms of a deal row's PRICE × QUANTITY. */
const rowPaid = (row: Rec, pricesIncludeVat: boolean) => round2(num(row.Сумма) + (pricesIncludeVat ? 0 : num(row.СуммаНДС)));

/**
 * Why UT 11 would refuse to post an order, or null: its posting check (required header references
 * and business operation, every row's product, quantity, VAT rate, warehouse, and amounts to the
 * kopeck: Сумма = Цена × Количество − СуммаРучнойСкидки, СуммаНДС from the row's own rate).
 * Cancelled rows are left out, as UT 11 does.
 */
function postingError(order: Rec): string | null {
  const empty = (v: unknown) => v === undefined || v === null || v === "" || v === EMPTY_GUID;
  for (const field of ["Партнер_Key", "Контрагент_Key", "Организация_Key", "Соглашение_Key", "Валюта_Key", "ХозяйственнаяОперация"]) if (empty(order[field])) return `${field} empty`;
  const rows = ((order.Товары as Rec[] | undefined) ?? []).filter((r) => r.Отменено !== true);
  if (rows.length === 0) return "no active Товары rows";
  const included = order.ЦенаВключаетНДС === true;
  for (const row of rows) {
    const line = `row ${String(row.LineNumber)}`;
    if (empty(row.Номенклатура_Key) || !(num(row.Количество) > 0)) return `${line}: no product or quantity`;
    const percent = VAT_PERCENT[String(row.СтавкаНДС)];
    if (percent === undefined) return `${line}: СтавкаНДС ${JSON.stringify(row.СтавкаНДС)}`;
    if (empty(order.Склад_Key) && empty(row.Склад_Key)) return `${line}: no warehouse (header or row)`;
    const sum = round2(num(row.Цена) * num(row.Количество) - num(row.СуммаРучнойСкидки));
    if (Math.abs(num(row.Сумма) - sum) > 0.01 + 1e-9) return `${line}: Сумма ${num(row.Сумма)} ≠ Цена ${num(row.Цена)} × ${num(row.Количество)} − скидка ${num(row.СуммаРучнойСкидки)} = ${sum}`;
    const vat = vatOf(num(row.Сумма), percent, included);
    if (Math.abs(num(row.СуммаНДС) - vat) > 0.01 + 1e-9) return `${line}: СуммаНДС ${num(row.СуммаНДС)} ≠ ${vat} (${String(row.СтавкаНДС)}, prices ${included ? "include" : "exclude"} VAT)`;
  }
  return null;
}

function groupBy<T>(items: readonly T[], by: (item: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = by(item);
    if (k === null) continue;
    out.set(k, [...(out.get(k) ?? []), item]);
  }
  return out;
}

const MAX_PROBLEMS = 25;
function invariant(id: number, name: string, problems: string[], summary: string): Invariant {
  return { id, name, pass: problems.length === 0, summary, problems: problems.slice(0, MAX_PROBLEMS).concat(problems.length > MAX_PROBLEMS ? [`… and ${problems.length - MAX_PROBLEMS} more`] : []) };
}

/** Every message of a stream (subject and dedupe id), read with an ordered consumer. */
async function readStream(js: JetStreamClient, jsm: JetStreamManager, stream: string): Promise<Array<{ subject: string; msgId: string; data: Uint8Array }>> {
  const info = await jsm.streams.info(stream);
  if (info.state.messages === 0) return [];
  const consumer = await js.consumers.get(stream);
  const out: Array<{ subject: string; msgId: string; data: Uint8Array }> = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({ subject: m.subject, msgId: m.headers?.get(Headers.msgId) ?? "", data: m.data });
    if (m.seq >= info.state.last_seq) break;
  }
  await messages.close();
  return out;
}

export async function check(deps: CheckDeps): Promise<CheckReport> {
  const { sql, clients, policy, workload } = deps;
  const [deals, companies, crmProducts, requisites] = await Promise.all(["deal", "company", "product", "requisite"].map((e) => clients.b24Admin<Rec[]>(`records/${e}`)));
  const [orders, counterparties, partners, onecProducts] = await Promise.all([ORDER_SET, COUNTERPARTY_SET, PARTNER_SET, PRODUCT_SET].map((s) => clients.onecRecords(s)));
  const mappings = await readMappings(sql);
  const log = await sql<Array<{ message_id: string; stage: string; result: string; outcome_id: string }>>`select message_id, stage, result, outcome_id from exchange_log`;
  const letters = await sql<Array<{ id: number; stage: string; error_code: string; error_message: string; system: string | null; entity: string | null; record_id: string | null; first_failed_at: Date; last_failed_at: Date }>>`
    select id, stage, error_code, error_message, system, entity, record_id, first_failed_at, last_failed_at from dead_letters`;

  const dealById = new Map(deals!.map((d) => [String(d.ID), d]));
  const companyById = new Map(companies!.map((c) => [String(c.ID), c]));
  const counterpartyByRef = new Map(counterparties!.map((c) => [String(c.Ref_Key).toLowerCase(), c]));
  const orderByRef = new Map(orders!.map((o) => [String(o.Ref_Key).toLowerCase(), o]));
  const skuOfCrmProduct = new Map(crmProducts!.map((p) => [String(p.ID), str(p.XML_ID)]));
  const skuOfOnecProduct = new Map(onecProducts!.map((p) => [String(p.Ref_Key).toLowerCase(), str(p.Артикул)]));
  const rowsOf = new Map<string, MappingRow[]>();
  for (const m of mappings) {
    const ends = [key(m.source_system, m.source_entity, m.source_id), ...(m.target_id ? [key(m.target_system, m.target_entity, m.target_id)] : [])];
    for (const end of ends) rowsOf.set(end, [...(rowsOf.get(end) ?? []), m]);
  }
  /** The other end of a record's confirmed pair (id on the other system), or null. */
  const counterpartOf = (system: string, entity: string, id: unknown, states: readonly string[] = ["confirmed"]): { row: MappingRow; id: string } | null => {
    const row = (rowsOf.get(key(system, entity, id)) ?? []).find((r) => states.includes(r.state) && r.target_id);
    if (!row) return null;
    return { row, id: row.source_system === system ? String(row.target_id) : row.source_id };
  };
  // Issue 13: decisions and customer pairs; a deal or 1C order whose customer a person ignored is not expected to flow.
  const matchingFacts = await readMatching(sql, workload.legacy, mappings);
  const crmBorn = workload.deals.filter((d) => !d.poisoned);
  const poisoned = new Set(workload.deals.filter((d) => d.poisoned).map((d) => d.id));
  // A manager's copy of a CRM-born deal's order carries the deal's number too: it is a record of
  // its own (a 1C-born order with a deal of its own), not a duplicate of the original.
  const copies = workload.identity.copies;
  const copyRefs = new Set(copies.map((c) => c.ref.toLowerCase()));
  const onecBornOrders = [...workload.onecOrders, ...copies];
  const inDoubt = new Set(workload.onecOrdersInDoubt);
  // An order the workload created without hearing back is the workload's, found by its comment.
  const onecBorn = new Set([...onecBornOrders.map((o) => o.ref.toLowerCase()), ...orders!.filter((o) => inDoubt.has(String(o.Комментарий))).map((o) => String(o.Ref_Key).toLowerCase())]);
  const notCopy = (o: Rec) => !copyRefs.has(String(o.Ref_Key).toLowerCase());
  const crmBornIds = new Set(workload.deals.map((d) => d.id));

  // 1. No duplicates.
  const dupes: string[] = [];
  const many = (what: string, groups: Map<string, Rec[]>, id: (r: Rec) => unknown) => {
    for (const [k, group] of groups) if (group.length > 1) dupes.push(`${what} ${k}: ${group.length} records (${group.map(id).join(", ")})`);
  };
  many("1C orders for deal marker (copies aside)", groupBy(orders!.filter(notCopy), (o) => (/^B24-D-\d+$/.test(String(o.НомерПоДаннымКлиента)) ? String(o.НомерПоДаннымКлиента) : null)), (o) => o.Ref_Key);
  const bitrixMarker = (r: Rec) => (concordMarker(r)?.startsWith("concord:bitrix24:") ? concordMarker(r) : null);
  many("1C counterparties for", groupBy(counterparties!, bitrixMarker), (c) => c.Ref_Key);
  many("1C partners for", groupBy(partners!, bitrixMarker), (p) => p.Ref_Key);
  many("CRM deals with ORIGIN_ID", groupBy(deals!, (d) => (d.ORIGINATOR_ID === ONEC_ORIGINATOR_ID && d.ORIGIN_ID ? String(d.ORIGIN_ID).toLowerCase() : null)), (d) => d.ID);
  many("CRM companies with ORIGIN_ID", groupBy(companies!, (c) => (c.ORIGINATOR_ID === ONEC_ORIGINATOR_ID && c.ORIGIN_ID ? String(c.ORIGIN_ID).toLowerCase() : null)), (c) => c.ID);
  many("CRM products with XML_ID", groupBy(crmProducts!, (p) => str(p.XML_ID)), (p) => p.ID);
  for (const [end, all] of rowsOf) {
    const rows = all.filter((r) => !supersededClaim(r, all));
    if (rows.length > 1) dupes.push(`${end} is in ${rows.length} mapping rows (${rows.map((r) => r.id).join(", ")})`);
  }
  // Issue 13: one customer per business key on each side, unless people made more (before the run, or by a decision to create).
  const byKey = keyDuplicates({ counterparties: counterparties!, companies: companies!, requisites: requisites!, legacy: workload.legacy, facts: matchingFacts });
  dupes.push(...byKey.duplicates);
  // A record with no reason to exist: neither made by a person nor carrying the inverse id of one.
  for (const o of orders!) {
    const ref = String(o.Ref_Key).toLowerCase();
    const marker = /^B24-D-(\d+)$/.exec(String(o.НомерПоДаннымКлиента));
    if (!onecBorn.has(ref) && !(marker && crmBornIds.has(marker[1] as string))) dupes.push(`1C order ${ref} (${String(o.Number)}) was made by no one: no deal marker, not created in 1C`);
  }
  for (const d of deals!) {
    const origin = d.ORIGINATOR_ID === ONEC_ORIGINATOR_ID ? String(d.ORIGIN_ID).toLowerCase() : null;
    const mirrorsOnecOrder = origin !== null && onecBorn.has(origin);
    const linkedBack = crmBornIds.has(String(d.ID));
    if (!mirrorsOnecOrder && !linkedBack) dupes.push(`CRM deal ${String(d.ID)} was made by no one (ORIGIN_ID ${String(d.ORIGIN_ID ?? "")})`);
  }
  const checkedRecords = orders!.length + counterparties!.length + partners!.length + deals!.length + companies!.length + crmProducts!.length;
  const inv1 = invariant(1, "no duplicates", dupes, `${checkedRecords} records and ${mappings.length} mapping rows checked, ${dupes.length} duplicates (${byKey.preExisting} INN/KPP held by several records people made: legacy duplicates, creates they chose)`);

  // 2. Completeness: everything that should flow has exactly one mapped counterpart.
  const missing: string[] = [];
  const ordersByMarker = groupBy(orders!.filter(notCopy), (o) => str(o.НомерПоДаннымКлиента));
  const dealsByOrigin = groupBy(deals!, (d) => (d.ORIGINATOR_ID === ONEC_ORIGINATOR_ID && d.ORIGIN_ID ? String(d.ORIGIN_ID).toLowerCase() : null));
  let dealsOk = 0;
  // A deal the workload could not finish (its own call failed for good) is not expected to flow.
  const flowing = crmBorn.filter(({ id }) => {
    const deal = dealById.get(id);
    return deal !== undefined && ((deal.PRODUCT_ROWS as Rec[] | undefined) ?? []).length > 0 && Boolean(deal.COMPANY_ID) && !matchingFacts.ignored.deals.has(id);
  });
  // A pair a 1C manager marked for deletion last is dead on purpose: its mapping row says "deleted"
  // (invariant 11 checks that); it still counts as the record's one counterpart.
  const markedLast = new Set(workload.identity.onecMarks.filter((m) => m.last === "mark").map((m) => m.ref.toLowerCase()));
  const deadOk = (ref: string | undefined) => (ref !== undefined && markedLast.has(ref.toLowerCase()) ? ["confirmed", "deleted"] : ["confirmed"]);
  for (const { id } of flowing) {
    const deal = dealById.get(id) as Rec;
    const own = (ordersByMarker.get(`B24-D-${id}`) ?? [])[0];
    const pair = counterpartOf("bitrix24", "deal", id, deadOk(own ? String(own.Ref_Key) : undefined));
    const marked = ordersByMarker.get(`B24-D-${id}`) ?? [];
    if (!pair) missing.push(`deal ${id}: no confirmed mapping to a 1C order (${marked.length} orders carry its marker)`);
    else if (!orderByRef.has(pair.id.toLowerCase())) missing.push(`deal ${id}: mapped to 1C order ${pair.id}, which does not exist`);
    else if (marked.length !== 1 || String(marked[0]?.Ref_Key).toLowerCase() !== pair.id.toLowerCase()) missing.push(`deal ${id}: mapped to ${pair.id}, but ${marked.length} 1C orders carry B24-D-${id}`);
    else if (String(deal.ORIGIN_ID ?? "").toLowerCase() !== pair.id.toLowerCase()) missing.push(`deal ${id}: ORIGIN_ID "${String(deal.ORIGIN_ID ?? "")}" is not its order ${pair.id} (link-back missing)`);
    else dealsOk++;
  }
  let ordersOk = 0;
  const flowingOrders = onecBornOrders.filter((o) => !matchingFacts.ignored.onecOrders.has(o.ref.toLowerCase()));
  for (const { ref } of flowingOrders) {
    const pair = counterpartOf("onec", "order", ref, deadOk(ref));
    const mirrors = dealsByOrigin.get(ref.toLowerCase()) ?? [];
    if (!pair) missing.push(`1C order ${ref}: no confirmed mapping to a deal (${mirrors.length} deals carry its ORIGIN_ID)`);
    else if (!dealById.has(pair.id)) missing.push(`1C order ${ref}: mapped to deal ${pair.id}, which does not exist`);
    else if (mirrors.length !== 1 || String(mirrors[0]?.ID) !== pair.id) missing.push(`1C order ${ref}: mapped to deal ${pair.id}, but ${mirrors.length} deals carry its ORIGIN_ID`);
    else ordersOk++;
  }
  // Customers and products that orders reference have their counterpart too.
  let customersOk = 0;
  const customersExpected = new Set<string>();
  for (const { id } of flowing) {
    const companyId = str(dealById.get(id)?.COMPANY_ID);
    if (companyId) customersExpected.add(key("bitrix24", "company", companyId));
  }
  for (const { ref } of flowingOrders) {
    const cp = str(orderByRef.get(ref.toLowerCase())?.Контрагент_Key);
    if (cp) customersExpected.add(key("onec", "counterparty", cp));
  }
  for (const end of customersExpected) {
    const [system, entity, id] = end.split(":") as [string, string, string];
    const pair = counterpartOf(system, entity, id);
    const exists = pair && (system === "bitrix24" ? counterpartyByRef.has(pair.id.toLowerCase()) : companyById.has(pair.id));
    if (exists) customersOk++;
    else missing.push(`customer ${end}: ${pair ? `mapped to ${pair.id}, which does not exist` : "no confirmed counterpart"}`);
  }
  // A product a manager put on a 1C order is mirrored (a confirmed pair); a product that reached a
  // 1C order from CRM rows was matched by article in 1C and needs no pair, only a CRM product.
  const productsMirrored = new Set(onecBornOrders.flatMap((o) => o.productRefs));
  const productsExpected = new Set(productsMirrored);
  for (const { ref } of onecBornOrders) for (const line of (orderByRef.get(ref.toLowerCase())?.Товары as Rec[] | undefined) ?? []) productsExpected.add(String(line.Номенклатура_Key).toLowerCase());
  const crmSkus = new Set(skuOfCrmProduct.values());
  let productsOk = 0;
  for (const ref of productsExpected) {
    const sku = skuOfOnecProduct.get(ref) ?? null;
    const pair = counterpartOf("onec", "product", ref);
    if (!productsMirrored.has(ref) && !pair) {
      if (sku !== null && crmSkus.has(sku)) productsOk++;
      else missing.push(`1C product ${ref} (${sku ?? "?"}), set on a 1C order from CRM rows: no CRM product has its article`);
    } else if (pair && skuOfCrmProduct.get(pair.id) === sku) productsOk++;
    else missing.push(`1C product ${ref} (${sku ?? "?"}): ${pair ? `mapped to CRM product ${pair.id} with another SKU` : "no confirmed CRM product"}`);
  }
  for (const id of poisoned) {
    if (rowsOf.has(key("bitrix24", "deal", id)) || ordersByMarker.has(`B24-D-${id}`)) missing.push(`poisoned deal ${id} has a 1C order or a mapping row`);
  }
  const inv2 = invariant(
    2,
    "completeness",
    missing,
    `deals → 1C ${dealsOk}/${flowing.length}${flowing.length + matchingFacts.ignored.deals.size < crmBorn.length ? ` (${crmBorn.length - flowing.length - matchingFacts.ignored.deals.size} left unfinished by the workload)` : ""}, 1C orders → deals ${ordersOk}/${flowingOrders.length}${copies.length ? ` (${copies.length} of them a manager's copy of a CRM-born deal's order)` : ""}${matchingFacts.ignored.deals.size + matchingFacts.ignored.onecOrders.size ? ` (${matchingFacts.ignored.deals.size} deals and ${matchingFacts.ignored.onecOrders.size} 1C orders of customers a person ignored left out)` : ""}, customers ${customersOk}/${customersExpected.size}, 1C products ${productsOk}/${productsExpected.size}`,
  );

  // 3. Convergence of every mapped order pair, field by field, as the resolver compares them.
  const differ: string[] = [];
  let pairs = 0;
  let equal = 0;
  const fieldCounts = new Map<string, number>();
  for (const m of mappings) {
    const dealSide = endOf(m, "deal");
    const orderSide = endOf(m, "order");
    if (m.state !== "confirmed" || !dealSide || !orderSide) continue;
    const deal = dealById.get(dealSide);
    const order = orderByRef.get(orderSide.toLowerCase());
    // A pair whose order is marked for deletion is judged by invariant 11 (deletes follow the last word).
    if (!deal || !order || order.DeletionMark === true) continue;
    pairs++;
    const fields = compareOrder(deal, order, { policy, skuOfCrmProduct, skuOfOnecProduct, customerOf: (ref) => counterpartOf("onec", "counterparty", ref)?.id ?? null });
    if (fields.length === 0) equal++;
    for (const f of fields) fieldCounts.set(f.field, (fieldCounts.get(f.field) ?? 0) + 1);
    if (fields.length > 0) differ.push(`deal ${dealSide} ↔ 1C order ${orderSide}: ${fields.map((f) => `${f.field} ${JSON.stringify(f.crm)} ≠ ${JSON.stringify(f.onec)}`).join("; ")}`);
  }
  let customerPairs = 0;
  for (const m of mappings) {
    const companyId = endOf(m, "company");
    const cpRef = endOf(m, "counterparty");
    if (m.state !== "confirmed" || !companyId || !cpRef) continue;
    const company = companyById.get(companyId);
    const cp = counterpartyByRef.get(cpRef.toLowerCase());
    if (!company || !cp) continue;
    customerPairs++;
    // 1C keeps 100 characters of a name: equal under that cut is equal.
    if (asOnecName(company.TITLE) !== cp.Description) differ.push(`company ${companyId} ↔ counterparty ${cpRef}: name ${JSON.stringify(company.TITLE)} ≠ ${JSON.stringify(cp.Description)}`);
  }
  // Every order UT 11 would post (the manager tried some; the others are checked as it would).
  let postable = 0;
  for (const order of orders!) {
    const error = postingError(order);
    if (error === null) postable++;
    else differ.push(`1C order ${String(order.Ref_Key)} (${String(order.Number)}, ${String(order.НомерПоДаннымКлиента)}): UT 11 would not post it: ${error}`);
  }
  // Every order a manager tries to post must post: Concord writes no state UT 11 refuses, not even for a while.
  for (const refusal of workload.issue9.postRefusals) differ.push(`1C order ${refusal.ref}: the manager's Post was refused: ${refusal.message.slice(0, 300)}`);
  const byField = [...fieldCounts].map(([f, n]) => `${f} ${n}`).join(", ");
  const inv3 = invariant(
    3,
    "convergence",
    differ,
    `${equal}/${pairs} order pairs equal${byField ? ` (differing: ${byField})` : ""}, ${customerPairs} customer pairs compared (names as 1C cuts them), ${postable}/${orders!.length} orders pass UT 11's posting check (the manager's Post refused ${workload.issue9.postRefusals.length} times)`,
  );

  // 4. No loss: every message that entered the pipeline has a terminal outcome at the stage that consumes it.
  const terminalAt = new Set(log.filter((r) => TERMINAL.has(r.result)).map((r) => `${r.stage}|${r.message_id}`));
  const outcomeIds = new Set(log.map((r) => r.outcome_id));
  const lost: string[] = [];
  const accepted = [...new Set(log.filter((r) => r.stage === "ingress" && r.result === "accepted").map((r) => r.message_id))];
  for (const id of accepted) if (!terminalAt.has(`resolver|${id}`)) lost.push(`accepted ${id}: no terminal resolver outcome`);
  const events = await readStream(deps.js, deps.jsm, deps.subjects.streams.events);
  for (const e of events) if (!terminalAt.has(`resolver|${e.msgId}`)) lost.push(`event ${e.msgId}: no terminal resolver outcome`);
  const via = new Map<string, number>();
  for (const e of events) {
    const how = String((JSON.parse(new TextDecoder().decode(e.data)) as { via?: string }).via ?? "?");
    via.set(how, (via.get(how) ?? 0) + 1);
  }
  const commands = await readStream(deps.js, deps.jsm, deps.subjects.streams.commands);
  for (const c of commands) {
    const stage = c.subject.includes(".commands.onec.") ? "onec-writer" : "crm-writer";
    if (!terminalAt.has(`${stage}|${c.msgId}`)) lost.push(`command ${c.msgId}: no terminal ${stage} outcome`);
  }
  const outcomes = await readStream(deps.js, deps.jsm, deps.subjects.streams.outcomes);
  const unrecorded = outcomes.filter((o) => !outcomeIds.has(o.msgId));
  for (const o of unrecorded) lost.push(`outcome ${o.msgId}: in the stream, not in the exchange log`);
  const inv4 = invariant(
    4,
    "no loss",
    lost,
    `${accepted.length} accepted webhooks, ${events.length} events (${[...via].map(([k, n]) => `${k} ${n}`).join(", ")}), ${commands.length} commands: ${lost.length - unrecorded.length} without a terminal outcome; ${outcomes.length - unrecorded.length}/${outcomes.length} outcomes in the exchange log`,
  );

  // 5. The DLQ holds exactly the poisoned records, each with its reason.
  const dlqProblems: string[] = [];
  const dlqStream = await deps.jsm.streams.info(deps.subjects.streams.dlq);
  for (const l of letters) {
    const isPoison = l.system === "bitrix24" && l.entity === "deal" && l.record_id !== null && poisoned.has(l.record_id);
    if (!isPoison) dlqProblems.push(`dead letter ${l.id} (${l.stage}, ${l.system}:${l.entity}:${l.record_id}): ${l.error_code} ${l.error_message.slice(0, 200)}`);
    else if (l.error_code !== "STATUS_UNMAPPED" || !l.error_message.includes(POISON_STAGE)) dlqProblems.push(`dead letter ${l.id} of poisoned deal ${l.record_id} has the wrong reason: ${l.error_code} ${l.error_message.slice(0, 200)}`);
  }
  for (const id of poisoned) if (!letters.some((l) => l.record_id === id)) dlqProblems.push(`poisoned deal ${id} is not in the DLQ`);
  if (dlqStream.state.messages !== letters.length) dlqProblems.push(`the DLQ stream holds ${dlqStream.state.messages} records, the dead_letters table ${letters.length}`);
  const poisonLetters = letters.filter((l) => l.record_id !== null && poisoned.has(l.record_id));
  // Issue 11: a letter of a record that failed during (or in the wake of) the 1C outage is the outage's; goal 0.
  const otherLetters = letters.filter((l) => !(l.record_id !== null && poisoned.has(l.record_id)));
  const outage = deps.outageWindow;
  // A letter is the outage's when its error is target-wide (a 5xx, timeout, refused connection,
  // rate limit or credential of the target as a whole), or when it is a 1C record's that failed
  // during the 1C outage or its wake.
  const targetWide = (code: string) => catalogEntry(code).scope !== "record";
  const duringOutage = otherLetters.filter((l) => targetWide(l.error_code) || (outage !== null && l.system === "onec" && l.last_failed_at.getTime() >= outage.from && l.first_failed_at.getTime() <= outage.to + 60_000)).length;
  const inv5 = invariant(5, "DLQ = poisoned records", dlqProblems, `${poisoned.size} poisoned deals, ${new Set(poisonLetters.map((l) => l.record_id)).size} of them in the DLQ (${poisonLetters.length} letters, STATUS_UNMAPPED), ${otherLetters.length} other letters (${duringOutage} of them caused by an outage)`);

  // 6. No secret in any log file of the run.
  const canaries = Object.entries(deps.secrets)
    .filter(([name]) => name !== "onecUser")
    .flatMap(([name, value]) => (value.startsWith("whsec_") ? [[name, value], [`${name} (key)`, value.slice("whsec_".length)]] : [[name, value]]));
  const leaks: string[] = [];
  let scanned = 0;
  let bytes = 0;
  for (const file of readdirSync(deps.logDir)) {
    const path = join(deps.logDir, file);
    if (!statSync(path).isFile()) continue;
    const text = readFileSync(path, "utf8");
    scanned++;
    bytes += text.length;
    for (const [name, value] of canaries) if (text.includes(value as string)) leaks.push(`${file} contains the ${name}`);
  }
  const inv6 = invariant(6, "no secret in the logs", leaks, `${canaries.length} canaries searched in ${scanned} files (${(bytes / 1_048_576).toFixed(1)} MB): ${leaks.length} found`);

  // 7. Bounded redundancy: Concord's writes per change it applied.
  const b24 = await clients.b24Admin<{ writes: Record<string, { adds: number; updates: number; deletes: number; productRowsSet: number }> }>("stats");
  const onec = await clients.onecAdmin<{ totals: { writes: number } }>("stats");
  const b24Writes = Object.values(b24.writes).reduce((n, w) => n + w.adds + w.updates + w.deletes + w.productRowsSet, 0);
  const concordWrites = b24Writes - clients.userWrites() + onec.totals.writes;
  const applied = new Set(log.filter((r) => (r.stage === "onec-writer" || r.stage === "crm-writer") && (r.result === "applied" || r.result === "created")).map((r) => r.message_id)).size;
  const ratio = applied === 0 ? 0 : concordWrites / applied;
  // … and per customer, where 1C cuts a long name: a value the target stores differently is written
  // once per change, never again. A 1C record's DataVersion counts its writes; the manager's own
  // are known. One write per change even under faults: a write that committed and then failed is
  // not repeated (the writer re-reads DataVersion first and decides again; a create finds its
  // record by the inverse id).
  const redundancy = ratio <= deps.writesPerAppliedBound ? [] : [`${ratio.toFixed(2)} writes per applied change exceeds the bound ${deps.writesPerAppliedBound}`];
  const companyPrefix = "concord:bitrix24:company:";
  const counterpartyOfCompany = new Map(counterparties!.flatMap((c) => (concordMarker(c)?.startsWith(companyPrefix) ? [[String(concordMarker(c)).slice(companyPrefix.length), c] as const] : [])));
  const partnerByRef = new Map(partners!.map((p) => [String(p.Ref_Key).toLowerCase(), p]));
  let customersBounded = 0;
  let longNamed = 0;
  let worst = { perChange: 0, what: "" };
  const bound = (what: string, record: Rec | undefined, managerWrites: number, changes: number) => {
    if (!record) return;
    const writes = decodeDataVersion(record.DataVersion) + 1 - managerWrites;
    const perChange = writes / Math.max(1, changes);
    customersBounded++;
    if (perChange > worst.perChange) worst = { perChange, what: `${what}: ${writes} for ${changes}` };
    if (writes > Math.max(1, changes)) redundancy.push(`${what}: ${writes} writes by Concord for ${changes} changes (its creation and each CRM rename or phone; bound 1 per change)`);
  };
  for (const c of workload.companies) {
    const cp = counterpartyOfCompany.get(c.id);
    if (!cp) continue;
    if (c.longName) longNamed++;
    const label = `counterparty ${String(cp.Ref_Key)} of company ${c.id}${c.longName ? ` (a title of ${[...c.title].length} characters)` : ""}`;
    // Its creation is a change too.
    bound(label, cp, workload.unowned.managerWrites(String(cp.Ref_Key)), 1 + c.crmChanges);
    bound(`partner of ${label}`, partnerByRef.get(String(cp.Партнер_Key).toLowerCase()), 0, 1 + c.crmChanges);
  }
  for (const c of workload.counterparties) bound(`1C-born counterparty ${c.ref}`, counterpartyByRef.get(c.ref.toLowerCase()), workload.unowned.managerWrites(c.ref), 1 + c.crmChanges);
  const inv7 = invariant(
    7,
    "bounded redundancy",
    redundancy,
    `${concordWrites} writes by Concord (1C ${onec.totals.writes}, Bitrix24 ${b24Writes - clients.userWrites()}) / ${applied} applied changes = ${ratio.toFixed(2)} (bound ${deps.writesPerAppliedBound}); ${customersBounded} 1C customers and partners (${longNamed} with names 1C cuts): at most ${worst.perChange.toFixed(2)} writes per change (bound 1${worst.what ? `; ${worst.what}` : ""})`,
  );

  // 8. Nothing Concord does not own changed: every value the 1C manager set there is still in 1C.
  const inv8 = checkUnowned({ workload, orderByRef, counterpartyByRef, skuOfCrmProduct, skuOfOnecProduct, dealOfOrder: (ref) => counterpartOf("onec", "order", ref)?.id ?? null });

  // 11. Deletes and undeletes (issues 10, 11): each pair ends as its last delete or undelete said,
  // whether its event arrived or was lost; a forged delete changed nothing; a renamed 1C product
  // carries its name in the CRM.
  const wrong: string[] = [];
  const identity = workload.identity;
  const markOf = (o: Rec | undefined) => o?.DeletionMark === true;
  const ownOrders = (dealId: string) => ordersByMarker.get(`B24-D-${dealId}`) ?? [];
  let deleted = 0;
  let restored = 0;
  for (const d of identity.crmDeletes) {
    const deal = dealById.get(d.deal);
    const own = ownOrders(d.deal);
    if (d.last === "delete") {
      deleted++;
      if (deal) wrong.push(`deal ${d.deal}: deleted last, still in Bitrix24 (stage ${String(deal.STAGE_ID)})`);
      for (const o of own) if (!markOf(o)) wrong.push(`deal ${d.deal}: deleted last (${d.lost} of ${d.steps} events lost), its 1C order ${String(o.Ref_Key)} is not marked for deletion`);
      const row = (rowsOf.get(key("bitrix24", "deal", d.deal)) ?? [])[0];
      if (row && row.state !== "deleted") wrong.push(`deal ${d.deal}: deleted last (${d.lost} of ${d.steps} events lost), its pair is recorded ${row.state}, not deleted`);
    } else {
      restored++;
      if (!deal) wrong.push(`deal ${d.deal}: restored last, not in Bitrix24`);
      else if (own.length !== 1) wrong.push(`deal ${d.deal}: restored last (${d.lost} of ${d.steps} events lost), ${own.length} 1C orders carry its number`);
      else if (markOf(own[0])) wrong.push(`deal ${d.deal}: restored last (${d.lost} of ${d.steps} events lost), its 1C order ${String(own[0]?.Ref_Key)} is still marked for deletion`);
    }
  }
  let marked = 0;
  let unmarked = 0;
  for (const m of identity.onecMarks) {
    const order = orderByRef.get(m.ref.toLowerCase());
    const pair = counterpartOf("onec", "order", m.ref, ["confirmed", "deleted"]);
    const dealId = pair?.id ?? null;
    const deal = dealId === null ? undefined : dealById.get(dealId);
    const what = `${m.origin === "crm" ? "CRM-born deal's" : "1C-born"} order ${m.ref}${dealId ? ` (deal ${dealId})` : ""}`;
    if (!order) {
      wrong.push(`${what}: gone from 1C`);
      continue;
    }
    if (!deal) {
      wrong.push(`${what}: ${m.last === "mark" ? "marked" : "unmarked"} last, its deal is not in Bitrix24 (mapping ${dealId ?? "none"})`);
      continue;
    }
    if (m.last === "mark") {
      marked++;
      if (!markOf(order)) wrong.push(`${what}: marked last, the mark is gone`);
      if (pair?.row.state !== "deleted") wrong.push(`${what}: marked for deletion last, its pair is recorded ${pair?.row.state ?? "nowhere"}, not deleted`);
      if (deal.STAGE_ID !== "LOSE" && !String(deal.STAGE_ID).endsWith(":LOSE")) wrong.push(`${what}: marked for deletion last (${m.lost} of ${m.steps} notifications lost), the deal is at ${String(deal.STAGE_ID)}, not LOSE`);
    } else {
      unmarked++;
      // The pair is then compared field by field by invariant 3 (the stage back at the order's status).
      if (markOf(order)) wrong.push(`${what}: unmarked last, marked again`);
      if (pair?.row.state !== "confirmed") wrong.push(`${what}: unmarked last, its pair is recorded ${pair?.row.state ?? "nowhere"}, not revived`);
    }
  }
  for (const id of identity.forged) {
    const deal = dealById.get(id);
    const pair = counterpartOf("bitrix24", "deal", id);
    if (!deal) wrong.push(`deal ${id}: gone after a forged delete`);
    else if (pair?.row.deleted) wrong.push(`deal ${id}: its pair is recorded deleted after a forged delete`);
    else if (pair && markOf(orderByRef.get(pair.id.toLowerCase()))) wrong.push(`deal ${id}: its 1C order ${pair.id} is marked for deletion after a forged delete`);
  }
  let productsNamed = 0;
  let productsUnpaired = 0;
  for (const e of identity.productEdits) {
    const pair = counterpartOf("onec", "product", e.ref);
    if (!pair) {
      productsUnpaired++;
      continue;
    }
    const product = crmProducts!.find((p) => String(p.ID) === pair.id);
    if (!product || product.NAME !== e.name) wrong.push(`1C product ${e.ref}: renamed to ${JSON.stringify(e.name)}${e.lost ? " (notification lost)" : ""}, CRM product ${pair.id} is ${JSON.stringify(product?.NAME)}`);
    else productsNamed++;
  }
  const lostSteps = identity.crmDeletes.reduce((n, d) => n + d.lost, 0) + identity.onecMarks.reduce((n, m) => n + m.lost, 0);
  const steps = identity.crmDeletes.reduce((n, d) => n + d.steps, 0) + identity.onecMarks.reduce((n, m) => n + m.steps, 0);
  const inv11 = invariant(
    11,
    "deletes follow the last",
    wrong,
    `${steps} deletes and undeletes (${lostSteps} with their event lost): Bitrix24 ${deleted} deleted, ${restored} restored; 1C ${marked} marked, ${unmarked} unmarked; ${identity.forged.length} forged deletes changed nothing; ${productsNamed}/${identity.productEdits.length} renamed 1C products named so in the CRM${productsUnpaired ? ` (${productsUnpaired} not mirrored)` : ""}`,
  );

  // 12. Matching decided by keys or by people (issue 13).
  const matching = await checkMatching({ sql, legacy: workload.legacy, decider: deps.decisions, facts: matchingFacts, companies: companies!, counterparties: counterparties!, orders: orders!, deals: deals! });
  const inv12 = invariant(12, "matching by keys/people", matching.problems, matching.summary);

  return {
    outageLetters: { other: otherLetters.length, duringOutage },
    matching: matching.figures,
    invariants: [inv1, inv2, inv3, inv4, inv5, inv6, inv7, inv8.invariant, inv11, inv12],
    duplicates: dupes.length,
    losses: lost.length,
    writes: { concord: concordWrites, applied, ratio },
    unowned: { checked: inv8.checked, changed: inv8.changed },
  };
}

/**
 * Invariant 8: every value the workload set on a 1C record that Concord does not own (header
 * fields, row columns, contact rows; see unowned.ts) equals what 1C holds now. A row column is
 * expected only while the CRM kept its row: in the version of the deal's rows current when the
 * manager wrote (less a margin for writes in flight) and in every later one. A row the CRM
 * removed, even for a while, was Concord's to remove, and a row it added back is a new row.
 */
function checkUnowned(ctx: {
  workload: WorkloadResult;
  orderByRef: Map<string, Rec>;
  counterpartyByRef: Map<string, Rec>;
  skuOfCrmProduct: Map<string, string | null>;
  skuOfOnecProduct: Map<string, string | null>;
  dealOfOrder(ref: string): string | null;
}): { invariant: Invariant; checked: number; changed: number } {
  const MARGIN_MS = 2_000;
  const skuOf = (ref: string) => ctx.skuOfOnecProduct.get(ref.toLowerCase()) ?? undefined;
  const byOrder = new Map<string, CrmRowsVersion[]>();
  const byDeal = new Map<string, CrmRowsVersion[]>();
  for (const h of ctx.workload.unowned.rowsHistory()) {
    if (h.order) byOrder.set(h.order, [...(byOrder.get(h.order) ?? []), h]);
    if (h.deal) byDeal.set(h.deal, [...(byDeal.get(h.deal) ?? []), h]);
  }
  const labelsOf = (v: CrmRowsVersion) => occurrences(v.skus ?? (v.crmProductIds ?? []).map((id) => ctx.skuOfCrmProduct.get(id) ?? `?crm-product-${id}`));
  const kept = (ref: string, label: string, at: number): boolean => {
    const deal = ctx.dealOfOrder(ref);
    const versions = [...(byOrder.get(ref) ?? []), ...(deal === null ? [] : (byDeal.get(deal) ?? []))].sort((a, b) => a.at - b.at);
    const from = at - MARGIN_MS;
    const current = versions.filter((v) => v.at <= from).pop() ?? versions[0];
    const relevant = versions.filter((v) => v === current || v.at > from);
    return relevant.every((v) => labelsOf(v).includes(label));
  };
  const problems: string[] = [];
  const counts = { header: 0, rows: 0, counterparty: 0, rowsRemovedByCrm: 0 };
  const records = { order: new Set<string>(), counterparty: new Set<string>() };
  let changed = 0;
  for (const v of ctx.workload.unowned.values()) {
    const stored = (v.set === "order" ? ctx.orderByRef : ctx.counterpartyByRef).get(v.ref);
    const what = v.set === "order" ? `1C order ${v.ref}${stored ? ` (${String(stored.Number)}${ctx.dealOfOrder(v.ref) ? `, deal ${ctx.dealOfOrder(v.ref)}` : ""})` : ""}` : `1C counterparty ${v.ref}${stored ? ` (${String(stored.Description)})` : ""}`;
    const when = `set by the manager at ${new Date(v.at).toISOString()}, DataVersion ${v.version}`;
    if (!stored) {
      problems.push(`${what}: gone, so its ${v.field} = ${JSON.stringify(v.value)} (${when}) is lost`);
      changed++;
      continue;
    }
    if (v.row && !kept(v.ref, `${v.row.sku}#${v.row.occurrence}`, v.at)) {
      counts.rowsRemovedByCrm++;
      continue;
    }
    records[v.set].add(v.ref);
    if (v.set === "counterparty") counts.counterparty++;
    else if (v.row) counts.rows++;
    else counts.header++;
    const actual = readField(stored, v.field, skuOf);
    if (actual === undefined) problems.push(`${what}: ${v.field}: the row is gone though the CRM kept it (the manager set ${JSON.stringify(v.value)}, ${when}); rows now ${occurrences(((stored.Товары as Rec[] | undefined) ?? []).map((r) => skuOf(String(r.Номенклатура_Key)) ?? "?")).join(", ")}`);
    else if (JSON.stringify(actual) !== JSON.stringify(v.value)) problems.push(`${what}: ${v.field} is ${JSON.stringify(actual)}, the manager set ${JSON.stringify(v.value)} (${when}; now DataVersion ${decodeDataVersion(stored.DataVersion)})`);
    else continue;
    changed++;
  }
  const checked = counts.header + counts.rows + counts.counterparty;
  return {
    checked,
    changed,
    invariant: invariant(
      8,
      "nothing unowned changed",
      problems,
      `${checked} values Concord does not own on ${records.order.size} 1C orders and ${records.counterparty.size} counterparties (order header ${counts.header}, rows ${counts.rows}, counterparties ${counts.counterparty}; ${counts.rowsRemovedByCrm} row values not expected: the CRM removed their row): ${changed} changed`,
    ),
  };
}

/** The fields of one order pair that differ, in the resolver's terms (status through the policy's map). */
function compareOrder(
  deal: Rec,
  order: Rec,
  ctx: { policy: Policy; skuOfCrmProduct: Map<string, string | null>; skuOfOnecProduct: Map<string, string | null>; customerOf(counterpartyRef: string): string | null },
): Array<{ field: string; crm: unknown; onec: unknown }> {
  const out: Array<{ field: string; crm: unknown; onec: unknown }> = [];
  const same = (field: string, crm: unknown, onec: unknown) => {
    if (JSON.stringify(crm ?? null) !== JSON.stringify(onec ?? null)) out.push({ field, crm, onec });
  };
  const tryMap = (map: () => string) => {
    try {
      return map();
    } catch {
      return null;
    }
  };
  const stage = String(deal.STAGE_ID);
  const status = String(order.Статус);
  if (tryMap(() => stageToStatus(ctx.policy, stage)) !== status && tryMap(() => statusToStage(ctx.policy, status, String(deal.CATEGORY_ID ?? "0"))) !== stage) out.push({ field: "status", crm: stage, onec: status });
  same("title", deal.TITLE, order.Комментарий);
  same("customer", str(deal.COMPANY_ID), ctx.customerOf(String(order.Контрагент_Key)));
  // A deal row's PRICE is what the customer pays per unit (discount and tax included); 1C keeps list
  // price, manual discount and VAT apart, so a 1C row is compared by what the customer pays for it.
  // When the order's prices exclude VAT, that is Сумма + СуммаНДС, each rounded to the kopeck, and
  // some totals cannot be reached (379.65 at 20 %: 316.38 + 63.28 = 379.66, 316.37 + 63.27 =
  // 379.64): then a row may differ by a kopeck, and the document by a kopeck per row.
  const included = order.ЦенаВключаетНДС === true;
  const crmRows = ((deal.PRODUCT_ROWS as Rec[] | undefined) ?? []).map((r) => ({ sku: ctx.skuOfCrmProduct.get(String(r.PRODUCT_ID)) ?? "?", quantity: num(r.QUANTITY), total: num(r.PRICE) * num(r.QUANTITY) }));
  const onecRows = ((order.Товары as Rec[] | undefined) ?? []).map((l) => ({ sku: ctx.skuOfOnecProduct.get(String(l.Номенклатура_Key).toLowerCase()) ?? "?", quantity: num(l.Количество), total: rowPaid(l, included) }));
  const kopecks = (n: number) => 0.01 * n + 1e-9;
  const rowTolerance = included ? 0.005 : kopecks(1);
  const text = (rows: typeof crmRows) => rows.map((r) => `${r.sku}×${r.quantity}@${money(r.quantity > 0 ? r.total / r.quantity : 0)}`).join(";");
  const linesAgree = crmRows.length === onecRows.length && crmRows.every((c, i) => {
    const o = onecRows[i] as (typeof onecRows)[number];
    return c.sku === o.sku && c.quantity === o.quantity && Math.abs(c.total - o.total) <= rowTolerance;
  });
  if (!linesAgree) out.push({ field: "lines", crm: text(crmRows), onec: text(onecRows) });
  // The 1C total equals the deal's amount to the kopeck (rows are rounded one by one). A line the
  // manager cancelled (Отменено) stays a deal row, as Concord matches it, but 1C leaves it out of
  // СуммаДокумента: it is added back here (docs/reliability.md, invariant 3).
  const cancelled = ((order.Товары as Rec[] | undefined) ?? []).filter((l) => l.Отменено === true).reduce((sum, l) => sum + rowPaid(l, included), 0);
  const onecAmount = round2(num(order.СуммаДокумента) + cancelled);
  if (Math.abs(num(deal.OPPORTUNITY) - onecAmount) > (included ? kopecks(1) : kopecks(Math.max(1, onecRows.length)))) out.push({ field: "amount", crm: money(deal.OPPORTUNITY), onec: cancelled ? `${money(order.СуммаДокумента)} + cancelled ${money(cancelled)}` : money(order.СуммаДокумента) });
  const uf = ctx.policy.fieldMap;
  same("number", str(deal[uf.number]), str(order.Number));
  same("posted", str(deal[uf.posted]) === null ? null : str(deal[uf.posted]) === "Y", order.Posted === true);
  same("paymentState", str(deal[uf.paymentState]), str(order.СостояниеОплаты));
  same("shipmentState", str(deal[uf.shipmentState]), str(order.СостояниеОтгрузки));
  return out;
}
