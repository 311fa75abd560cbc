import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type postgres from "postgres";
import { Headers, ONEC_ORIGINATOR_ID, type Subjects } from "@concord/contracts";
import { stageToStatus, statusToStage, type Policy } from "@concord/policy";
import { COUNTERPARTY_SET, ORDER_SET, PARTNER_SET, PRODUCT_SET, type Clients, type Rec } from "./clients";
import type { Secrets } from "./infra";
import { POISON_STAGE, type WorkloadResult } from "./workload";

/**
 * Reads both sandboxes, the mapping, the exchange log, the dead letters, the streams and the
 * log files after the drain, and judges the run by the seven invariants. Every check counts
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
  secrets: Secrets;
  logDir: string;
  writesPerAppliedBound: number;
}

export interface CheckReport {
  invariants: Invariant[];
  duplicates: number;
  losses: number;
  writes: { concord: number; applied: number; ratio: number };
}

interface MappingRow {
  id: number;
  source_system: string;
  source_entity: string;
  source_id: string;
  target_system: string;
  target_entity: string;
  target_id: string | null;
  state: string;
}

/** Results that end a message's story at its stage ("accepted" and "retrying" do not). */
const TERMINAL = new Set(["commanded", "created", "applied", "echo", "stale", "skipped", "dead-lettered", "compensated"]);

/** The id a mapping row holds for one of its ends, by entity (`deal`, `order`, …), or null. */
const endOf = (m: MappingRow, entity: string) => (m.source_entity === entity ? m.source_id : m.target_entity === entity ? m.target_id : null);
const key = (system: string, entity: string, id: unknown) => `${system}:${entity}:${String(id).toLowerCase()}`;
const str = (v: unknown) => (v === undefined || v === null || v === "" ? null : String(v));
const money = (v: unknown) => Number(v ?? 0).toFixed(2);

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
  const [deals, companies, crmProducts] = await Promise.all(["deal", "company", "product"].map((e) => clients.b24Admin<Rec[]>(`records/${e}`)));
  const [orders, counterparties, partners, onecProducts] = await Promise.all([ORDER_SET, COUNTERPARTY_SET, PARTNER_SET, PRODUCT_SET].map((s) => clients.onecRecords(s)));
  const mappings = await sql<MappingRow[]>`select id, source_system, source_entity, source_id, target_system, target_entity, target_id, state from id_mapping`;
  const log = await sql<Array<{ message_id: string; stage: string; result: string; outcome_id: string }>>`select message_id, stage, result, outcome_id from exchange_log`;
  const letters = await sql<Array<{ id: number; stage: string; error_code: string; error_message: string; system: string | null; entity: string | null; record_id: string | null }>>`
    select id, stage, error_code, error_message, system, entity, record_id from dead_letters`;

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
  const counterpartOf = (system: string, entity: string, id: unknown): { row: MappingRow; id: string } | null => {
    const row = (rowsOf.get(key(system, entity, id)) ?? []).find((r) => r.state === "confirmed" && r.target_id);
    if (!row) return null;
    return { row, id: row.source_system === system ? String(row.target_id) : row.source_id };
  };
  const crmBorn = workload.deals.filter((d) => !d.poisoned);
  const poisoned = new Set(workload.deals.filter((d) => d.poisoned).map((d) => d.id));
  const onecBorn = new Set(workload.onecOrders.map((o) => o.ref.toLowerCase()));
  const crmBornIds = new Set(workload.deals.map((d) => d.id));

  // 1. No duplicates.
  const dupes: string[] = [];
  const many = (what: string, groups: Map<string, Rec[]>, id: (r: Rec) => unknown) => {
    for (const [k, group] of groups) if (group.length > 1) dupes.push(`${what} ${k}: ${group.length} records (${group.map(id).join(", ")})`);
  };
  many("1C orders for deal marker", groupBy(orders!, (o) => (/^B24-D-\d+$/.test(String(o.НомерПоДаннымКлиента)) ? String(o.НомерПоДаннымКлиента) : null)), (o) => o.Ref_Key);
  many("1C counterparties for", groupBy(counterparties!, (c) => (String(c.Комментарий).startsWith("concord:bitrix24:") ? String(c.Комментарий) : null)), (c) => c.Ref_Key);
  many("1C partners for", groupBy(partners!, (p) => (String(p.Комментарий).startsWith("concord:bitrix24:") ? String(p.Комментарий) : null)), (p) => p.Ref_Key);
  many("CRM deals with ORIGIN_ID", groupBy(deals!, (d) => (d.ORIGINATOR_ID === ONEC_ORIGINATOR_ID && d.ORIGIN_ID ? String(d.ORIGIN_ID).toLowerCase() : null)), (d) => d.ID);
  many("CRM companies with ORIGIN_ID", groupBy(companies!, (c) => (c.ORIGINATOR_ID === ONEC_ORIGINATOR_ID && c.ORIGIN_ID ? String(c.ORIGIN_ID).toLowerCase() : null)), (c) => c.ID);
  many("CRM products with XML_ID", groupBy(crmProducts!, (p) => str(p.XML_ID)), (p) => p.ID);
  for (const [end, rows] of rowsOf) if (rows.length > 1) dupes.push(`${end} is in ${rows.length} mapping rows (${rows.map((r) => r.id).join(", ")})`);
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
  const inv1 = invariant(1, "no duplicates", dupes, `${checkedRecords} records and ${mappings.length} mapping rows checked, ${dupes.length} duplicates`);

  // 2. Completeness: everything that should flow has exactly one mapped counterpart.
  const missing: string[] = [];
  const ordersByMarker = groupBy(orders!, (o) => str(o.НомерПоДаннымКлиента));
  const dealsByOrigin = groupBy(deals!, (d) => (d.ORIGINATOR_ID === ONEC_ORIGINATOR_ID && d.ORIGIN_ID ? String(d.ORIGIN_ID).toLowerCase() : null));
  let dealsOk = 0;
  // A deal the workload could not finish (its own call failed for good) is not expected to flow.
  const flowing = crmBorn.filter(({ id }) => {
    const deal = dealById.get(id);
    return deal !== undefined && ((deal.PRODUCT_ROWS as Rec[] | undefined) ?? []).length > 0 && Boolean(deal.COMPANY_ID);
  });
  for (const { id } of flowing) {
    const deal = dealById.get(id) as Rec;
    const pair = counterpartOf("bitrix24", "deal", id);
    const marked = ordersByMarker.get(`B24-D-${id}`) ?? [];
    if (!pair) missing.push(`deal ${id}: no confirmed mapping to a 1C order (${marked.length} orders carry its marker)`);
    else if (!orderByRef.has(pair.id.toLowerCase())) missing.push(`deal ${id}: mapped to 1C order ${pair.id}, which does not exist`);
    else if (marked.length !== 1 || String(marked[0]?.Ref_Key).toLowerCase() !== pair.id.toLowerCase()) missing.push(`deal ${id}: mapped to ${pair.id}, but ${marked.length} 1C orders carry B24-D-${id}`);
    else if (String(deal.ORIGIN_ID ?? "").toLowerCase() !== pair.id.toLowerCase()) missing.push(`deal ${id}: ORIGIN_ID "${String(deal.ORIGIN_ID ?? "")}" is not its order ${pair.id} (link-back missing)`);
    else dealsOk++;
  }
  let ordersOk = 0;
  for (const { ref } of workload.onecOrders) {
    const pair = counterpartOf("onec", "order", ref);
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
  for (const { ref } of workload.onecOrders) {
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
  const productsMirrored = new Set(workload.onecOrders.flatMap((o) => o.productRefs));
  const productsExpected = new Set(productsMirrored);
  for (const { ref } of workload.onecOrders) for (const line of (orderByRef.get(ref.toLowerCase())?.Товары as Rec[] | undefined) ?? []) productsExpected.add(String(line.Номенклатура_Key).toLowerCase());
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
    `deals → 1C ${dealsOk}/${flowing.length}${flowing.length < crmBorn.length ? ` (${crmBorn.length - flowing.length} left unfinished by the workload)` : ""}, 1C orders → deals ${ordersOk}/${workload.onecOrders.length}, customers ${customersOk}/${customersExpected.size}, 1C products ${productsOk}/${productsExpected.size}`,
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
    if (!deal || !order) continue;
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
    if (company.TITLE !== cp.Description) differ.push(`company ${companyId} ↔ counterparty ${cpRef}: name ${JSON.stringify(company.TITLE)} ≠ ${JSON.stringify(cp.Description)}`);
  }
  const byField = [...fieldCounts].map(([f, n]) => `${f} ${n}`).join(", ");
  const inv3 = invariant(3, "convergence", differ, `${equal}/${pairs} order pairs equal${byField ? ` (differing: ${byField})` : ""}, ${customerPairs} customer pairs compared`);

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
  const inv5 = invariant(5, "DLQ = poisoned records", dlqProblems, `${poisoned.size} poisoned deals, ${new Set(poisonLetters.map((l) => l.record_id)).size} of them in the DLQ (${poisonLetters.length} letters, STATUS_UNMAPPED), ${letters.length - poisonLetters.length} other letters`);

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
  const inv7 = invariant(
    7,
    "bounded redundancy",
    ratio <= deps.writesPerAppliedBound ? [] : [`${ratio.toFixed(2)} writes per applied change exceeds the bound ${deps.writesPerAppliedBound}`],
    `${concordWrites} writes by Concord (1C ${onec.totals.writes}, Bitrix24 ${b24Writes - clients.userWrites()}) / ${applied} applied changes = ${ratio.toFixed(2)} (bound ${deps.writesPerAppliedBound})`,
  );

  return { invariants: [inv1, inv2, inv3, inv4, inv5, inv6, inv7], duplicates: dupes.length, losses: lost.length, writes: { concord: concordWrites, applied, ratio } };
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
  const crmLines = ((deal.PRODUCT_ROWS as Rec[] | undefined) ?? []).map((r) => `${ctx.skuOfCrmProduct.get(String(r.PRODUCT_ID)) ?? "?"}×${Number(r.QUANTITY)}@${money(r.PRICE)}`);
  const onecLines = ((order.Товары as Rec[] | undefined) ?? []).map((l) => `${ctx.skuOfOnecProduct.get(String(l.Номенклатура_Key).toLowerCase()) ?? "?"}×${Number(l.Количество)}@${money(l.Цена)}`);
  same("lines", crmLines.join(";"), onecLines.join(";"));
  same("amount", money(deal.OPPORTUNITY), money(order.СуммаДокумента));
  const uf = ctx.policy.fieldMap;
  same("number", str(deal[uf.number]), str(order.Number));
  same("posted", str(deal[uf.posted]) === null ? null : str(deal[uf.posted]) === "Y", order.Posted === true);
  same("paymentState", str(deal[uf.paymentState]), str(order.СостояниеОплаты));
  same("shipmentState", str(deal[uf.shipmentState]), str(order.СостояниеОтгрузки));
  return out;
}
