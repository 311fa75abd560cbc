import type postgres from "postgres";
import { ONEC_ORIGINATOR_ID } from "@concord/contracts";
import { concordMarker, type Rec } from "./clients";
import { AMBIGUOUS_KINDS, sourceKey, type DeciderResult, type LegacyGroupResult } from "./legacy";

/**
 * Invariant 12 (issue 13): matching decided by keys or by people. Reads the decisions, the
 * customer pairs and the writers' outcomes about the legacy records, and judges each legacy
 * customer an order needed by what its group is (legacy.ts).
 */

interface DecisionRow {
  id: number;
  mapping_id: number;
  source_system: string;
  source_entity: string;
  source_id: string;
  reason: string;
  candidates: Array<{ id: string; linkedTo: string | null }>;
  status: string;
  action: string | null;
  chosen_id: string | null;
  opened_at: Date;
  decided_at: Date | null;
  superseded_by: number | null;
}

/** One id_mapping row, as every invariant reads it. */
export interface MappingRow {
  id: number;
  source_system: string;
  source_entity: string;
  source_id: string;
  target_system: string;
  target_entity: string;
  target_id: string | null;
  state: string;
  deleted: boolean;
  created_by: string;
  decision: string | null;
  decision_target: string | null;
  confirmed_at: Date | null;
}

export const readMappings = (sql: postgres.Sql) => sql<MappingRow[]>`
  select id, source_system, source_entity, source_id, target_system, target_entity, target_id, state, deleted_at is not null as deleted,
         created_by, decision, decision_target, confirmed_at
  from id_mapping`;

/**
 * A claim left unconfirmed when its record was linked by the other side's own first change at
 * the same moment (one identity, two claims): inert — the confirmed pair is the record's.
 */
export function supersededClaim(row: MappingRow, rowsOfEnd: MappingRow[]): boolean {
  return row.state === "claimed" && row.target_id === null && rowsOfEnd.some((r) => r.id !== row.id && r.state === "confirmed");
}

export interface MatchingFacts {
  decisions: DecisionRow[];
  pairs: MappingRow[];
  /** Deals and 1C orders whose customer a person decided to ignore: not expected to flow (invariant 2). */
  ignored: { deals: Set<string>; onecOrders: Set<string> };
  /** CRM companies and 1C counterparties made by a person's `create` (as `system:entity:id`). */
  createdByDecision: Set<string>;
}

export async function readMatching(sql: postgres.Sql, legacy: LegacyGroupResult[], mappings: MappingRow[]): Promise<MatchingFacts> {
  const decisions = await sql<DecisionRow[]>`select id, mapping_id, source_system, source_entity, source_id, reason, candidates, status, action, chosen_id, opened_at, decided_at, superseded_by from decisions order by id`;
  const pairs = mappings.filter((m) => ["company", "contact", "counterparty"].includes(m.source_entity));
  const ignoredSources = new Set(decisions.filter((d) => d.action === "ignore").map((d) => sourceKey(d.source_system, d.source_entity, d.source_id)));
  const ignored = { deals: new Set<string>(), onecOrders: new Set<string>() };
  for (const g of legacy) {
    for (const d of g.deals) if (ignoredSources.has(sourceKey("bitrix24", "company", g.crm[d.company] ?? ""))) ignored.deals.add(d.id);
    for (const o of g.orders) if (ignoredSources.has(sourceKey("onec", "counterparty", g.onec[o.counterparty] ?? ""))) ignored.onecOrders.add(o.ref);
  }
  const createdByDecision = new Set<string>();
  for (const d of decisions.filter((x) => x.action === "create")) {
    const row = pairs.find((p) => p.id === d.mapping_id);
    if (row?.target_id) createdByDecision.add(sourceKey(row.target_system, row.target_entity, row.target_id));
  }
  return { decisions, pairs, ignored, createdByDecision };
}

/** Records per business key (INN + KPP) on each side: more than one is a duplicate, unless people made them so (before the run, or by a `create`). */
export function keyDuplicates(ctx: { counterparties: Rec[]; companies: Rec[]; requisites: Rec[]; legacy: LegacyGroupResult[]; facts: MatchingFacts }): { duplicates: string[]; preExisting: number } {
  const seeded = new Set(ctx.legacy.flatMap((g) => [...g.crm.map((id) => sourceKey("bitrix24", "company", id)), ...g.onec.map((ref) => sourceKey("onec", "counterparty", ref))]));
  const made = (k: string) => seeded.has(k) || ctx.facts.createdByDecision.has(k);
  const duplicates: string[] = [];
  let preExisting = 0;
  const judge = (side: string, groups: Map<string, string[]>) => {
    for (const [keys, records] of groups) {
      if (records.length < 2) continue;
      const unexplained = records.filter((k) => !made(k));
      // One record of a key may be Concord's (a customer it created); a second one is not.
      if (unexplained.length > 1 || (unexplained.length === 1 && records.some((k) => seeded.has(k)))) duplicates.push(`${side} ${keys}: ${records.length} records (${records.join(", ")}), ${unexplained.length} made neither before the run nor by a person's create`);
      else preExisting++;
    }
  };
  const onec = new Map<string, string[]>();
  for (const c of ctx.counterparties) {
    const inn = String(c.ИНН ?? "").trim();
    if (!inn) continue;
    const k = `${inn}/${String(c.КПП ?? "").trim()}`;
    onec.set(k, [...(onec.get(k) ?? []), sourceKey("onec", "counterparty", String(c.Ref_Key))]);
  }
  const live = new Set(ctx.companies.map((c) => String(c.ID)));
  const crm = new Map<string, string[]>();
  for (const r of ctx.requisites) {
    if (String(r.ENTITY_TYPE_ID) !== "4" || !live.has(String(r.ENTITY_ID))) continue;
    const inn = String(r.RQ_INN ?? "").trim();
    if (!inn) continue;
    const k = `${inn}/${String(r.RQ_KPP ?? "").trim()}`;
    const id = sourceKey("bitrix24", "company", String(r.ENTITY_ID));
    if (!(crm.get(k) ?? []).includes(id)) crm.set(k, [...(crm.get(k) ?? []), id]);
  }
  judge("1C counterparties with ИНН/КПП", onec);
  judge("CRM companies with RQ_INN/RQ_KPP", crm);
  return { duplicates, preExisting };
}

export interface MatchingReport {
  problems: string[];
  summary: string;
  figures: { linkedByKeys: number; createdNew: number; decided: Record<"link" | "create" | "ignore", number>; superseded: number; refused: number; held: number; open: number };
}

export async function checkMatching(ctx: {
  sql: postgres.Sql;
  legacy: LegacyGroupResult[];
  decider: DeciderResult;
  facts: MatchingFacts;
  companies: Rec[];
  counterparties: Rec[];
  orders: Rec[];
  deals: Rec[];
}): Promise<MatchingReport> {
  const { legacy, facts, decider } = ctx;
  const problems: string[] = [];
  const lower = (v: unknown) => String(v ?? "").toLowerCase();
  const companyById = new Map(ctx.companies.map((c) => [String(c.ID), c]));
  const decisionOf = new Map<string, DecisionRow>();
  const supersededOf = new Map<string, DecisionRow>();
  for (const d of facts.decisions) (d.status === "superseded" ? supersededOf : decisionOf).set(sourceKey(d.source_system, d.source_entity, d.source_id), d);
  /** The pair a customer is in: a confirmed row (either direction) first, else its own claim. */
  const pairOf = (system: string, entity: string, id: string): MappingRow | null => {
    const rows = facts.pairs.filter((p) => p.state !== "deleted" && ((p.source_system === system && p.source_entity === entity && lower(p.source_id) === lower(id)) || (p.target_system === system && p.target_entity === entity && lower(p.target_id) === lower(id))));
    return rows.find((p) => p.state === "confirmed" && p.target_id) ?? rows.find((p) => p.source_system === system) ?? null;
  };
  const otherEnd = (p: MappingRow | null, system: string) => (p === null ? null : p.source_system === system ? (p.target_id === null ? null : lower(p.target_id)) : lower(p.source_id));
  // Every writer outcome about a legacy customer, deal or order.
  const ids = [...legacy.flatMap((g) => [...g.crm, ...g.onec, ...g.deals.map((d) => d.id), ...g.orders.map((o) => o.ref)])];
  const outcomes = ids.length === 0 ? [] : await ctx.sql<Array<{ at: Date; stage: string; system: string; entity: string; record_id: string; result: string }>>`
    select at, stage, system, entity, record_id, result from exchange_log where lower(record_id) in ${ctx.sql(ids.map(lower))}`;
  const outcomesOf = (system: string, entity: string, id: string) => outcomes.filter((o) => o.system === system && o.entity === entity && lower(o.record_id) === lower(id));
  const writer = (o: { stage: string }) => o.stage === "onec-writer" || o.stage === "crm-writer";
  // What carries a customer's identity on the other side: Concord's marker on a 1C counterparty, ORIGIN_ID on a CRM company.
  const carriers = (system: string, id: string) =>
    system === "bitrix24"
      ? ctx.counterparties.filter((c) => concordMarker(c) === `concord:bitrix24:company:${id}`).map((c) => lower(c.Ref_Key))
      : ctx.companies.filter((c) => c.ORIGINATOR_ID === ONEC_ORIGINATOR_ID && lower(c.ORIGIN_ID) === lower(id)).map((c) => String(c.ID));
  const figures: MatchingReport["figures"] = { linkedByKeys: 0, createdNew: 0, decided: { link: 0, create: 0, ignore: 0 }, superseded: 0, refused: decider.taken.reduce((n, t) => n + t.refused, 0), held: 0, open: 0 };
  const legacySources = new Set<string>();
  let customers = 0;

  // A deal the workload could not finish (no rows: its own call failed for good) needs nothing, as in invariant 2.
  const dealById = new Map(ctx.deals.map((d) => [String(d.ID), d]));
  const finished = (id: string) => ((dealById.get(id)?.PRODUCT_ROWS as Rec[] | undefined) ?? []).length > 0;
  for (const g of legacy) {
    const sources = [
      ...g.crm.map((id, i) => ({ system: "bitrix24", entity: "company", id, needed: g.deals.some((d) => d.company === i && finished(d.id)) })),
      ...g.onec.map((ref, i) => ({ system: "onec", entity: "counterparty", id: ref, needed: g.orders.some((o) => o.counterparty === i) })),
    ];
    for (const s of sources) legacySources.add(sourceKey(s.system, s.entity, s.id));
    for (const s of sources.filter((x) => x.needed)) {
      customers++;
      const what = `legacy ${g.kind} ${g.label} (${s.system === "bitrix24" ? "CRM company" : "1C counterparty"} ${s.id}, ИНН ${g.inn}${g.crmKpp ? `/${s.system === "bitrix24" ? g.crmKpp : g.onecKpp}` : ""})`;
      const counterparts = s.system === "bitrix24" ? g.onec : g.crm;
      const other = s.system === "bitrix24" ? "onec" : "bitrix24";
      const pair = pairOf(s.system, s.entity, s.id);
      const end = otherEnd(pair, s.system);
      const decision = decisionOf.get(sourceKey(s.system, s.entity, s.id));
      const made = carriers(s.system, s.id);
      const created = outcomesOf(s.system, s.entity, s.id).filter((o) => writer(o) && o.result === "created");
      if (decision) {
        if (!AMBIGUOUS_KINDS.has(g.kind)) problems.push(`${what}: a decision was opened (${decision.reason}) though exactly one record on the other side has its keys`);
        if (decision.status !== "decided" || !decision.decided_at) {
          figures.open++;
          problems.push(`${what}: decision ${decision.id} still open at the end (${decision.reason})`);
          if (end !== null || made.length > 0 || created.length > 0) problems.push(`${what}: paired to ${end ?? "-"} / carried by ${made.join(", ") || "-"} while its decision is open`);
          continue;
        }
        const decidedAt = decision.decided_at.getTime();
        const candidates = decision.candidates.map((c) => lower(c.id));
        const early = created.filter((o) => o.at.getTime() < decidedAt);
        if (early.length > 0) problems.push(`${what}: created on the other side at ${early[0]?.at.toISOString()}, before its decision ${decision.id} (${new Date(decidedAt).toISOString()})`);
        const confirmedEarly = pair?.confirmed_at && pair.confirmed_at.getTime() < decidedAt;
        const action = decision.action as "link" | "create" | "ignore";
        figures.decided[action]++;
        if (action === "link") {
          if (end === null || end !== lower(decision.chosen_id) || !candidates.includes(end)) problems.push(`${what}: linked by decision ${decision.id} to ${decision.chosen_id}, paired to ${end ?? "nothing"} (${pair?.state ?? "no pair"})`);
          else if (confirmedEarly) problems.push(`${what}: pair confirmed at ${pair?.confirmed_at?.toISOString()}, before decision ${decision.id}`);
        } else if (action === "create") {
          if (end === null) problems.push(`${what}: decision ${decision.id} says create, nothing is paired (${pair?.state ?? "no pair"})`);
          else if (candidates.includes(end) || counterparts.includes(end)) problems.push(`${what}: decision ${decision.id} says create, paired to the existing ${end}`);
          else if (confirmedEarly) problems.push(`${what}: pair confirmed at ${pair?.confirmed_at?.toISOString()}, before decision ${decision.id}`);
          else {
            const company = other === "bitrix24" ? companyById.get(end) : undefined;
            if (company && new Date(String(company.DATE_CREATE)).getTime() < decidedAt - 1_000) problems.push(`${what}: CRM company ${end} created at ${String(company.DATE_CREATE)}, before decision ${decision.id}`);
          }
        } else if (end !== null || made.length > 0) problems.push(`${what}: ignored by decision ${decision.id}, yet paired to ${end ?? "-"} and carried by ${made.join(", ") || "-"}`);
        if (made.some((m) => m !== end)) problems.push(`${what}: ${made.length} records on the other side carry its identity (${made.join(", ")}), its pair is ${end ?? "none"}`);
        continue;
      }
      // Its decision was superseded: its counterpart's own first change linked it by keys meanwhile.
      const superseded = supersededOf.get(sourceKey(s.system, s.entity, s.id));
      if (superseded) {
        figures.superseded++;
        const candidates = superseded.candidates.map((c) => lower(c.id));
        if (!pair || pair.id !== superseded.superseded_by || pair.state !== "confirmed" || end === null || !candidates.includes(end) || !pair.created_by.startsWith("match:"))
          problems.push(`${what}: decision ${superseded.id} superseded by mapping ${superseded.superseded_by ?? "?"}, yet paired to ${end ?? "nothing"} (${pair ? `mapping ${pair.id}, ${pair.created_by}, ${pair.state}` : "no pair"})`);
        if (made.some((m) => m !== end)) problems.push(`${what}: ${made.length} records on the other side carry its identity (${made.join(", ")}), its pair is ${end ?? "none"}`);
        continue;
      }
      // No decision: the keys decided alone.
      if (!pair) {
        problems.push(`${what}: an order needed it, it has no pair`);
        continue;
      }
      if (g.kind === "branch") {
        if (end === null || counterparts.includes(end) || pair.created_by !== "flow") problems.push(`${what}: a branch (another KPP) must get a counterparty of its own; paired to ${end ?? "nothing"} (${pair.created_by}, ${pair.state})`);
        else figures.createdNew++;
      } else if (g.kind === "onecDuplicates" || g.kind === "crmDuplicates") {
        problems.push(`${what}: ambiguous (${counterparts.length} records share its keys), paired to ${end ?? "nothing"} (${pair.created_by}, ${pair.state}) without a decision`);
      } else {
        const expected = g.kind === "soleTrader" ? "match:inn" : "match:innKpp";
        // crmDuplicateDeals: the company whose deal came first is linked by keys, the other asked about.
        if (end === null || !counterparts.includes(end) || pair.created_by !== expected || pair.state !== "confirmed") problems.push(`${what}: exactly one record has its keys (${counterparts.join(", ")}), paired to ${end ?? "nothing"} (${pair.created_by}, ${pair.state}), expected ${expected}`);
        else figures.linkedByKeys++;
      }
      if (made.some((m) => m !== end)) problems.push(`${what}: ${made.length} records on the other side carry its identity (${made.join(", ")}), its pair is ${end ?? "none"}`);
    }

    // The orders that needed them: through exactly once to the customer's pair, or skipped when ignored.
    for (const d of g.deals) {
      if (!finished(d.id)) continue;
      const company = g.crm[d.company] as string;
      const ignoredCustomer = facts.ignored.deals.has(d.id);
      const mine = ctx.orders.filter((o) => o.НомерПоДаннымКлиента === `B24-D-${d.id}`);
      const held = outcomesOf("bitrix24", "deal", d.id).filter((o) => o.result === "held").length;
      figures.held += held;
      if (ignoredCustomer) {
        if (mine.length > 0) problems.push(`deal ${d.id} of ${g.label}: its company was ignored, yet ${mine.length} 1C orders carry its number`);
        if (!outcomesOf("bitrix24", "deal", d.id).some((o) => o.stage === "onec-writer" && o.result === "skipped")) problems.push(`deal ${d.id} of ${g.label}: its company was ignored, no skipped outcome of onec-writer`);
        continue;
      }
      const counterparty = otherEnd(pairOf("bitrix24", "company", company), "bitrix24");
      // Invariant 2 counts the order; here its customer is the decided one.
      if (mine.length === 1 && counterparty !== null && lower(mine[0]?.Контрагент_Key) !== counterparty) problems.push(`deal ${d.id} of ${g.label}: its 1C order's counterparty is ${lower(mine[0]?.Контрагент_Key)}, its company's pair ${counterparty}`);
    }
    for (const o of g.orders) {
      const ref = g.onec[o.counterparty] as string;
      const mine = ctx.deals.filter((d) => d.ORIGINATOR_ID === ONEC_ORIGINATOR_ID && lower(d.ORIGIN_ID) === o.ref);
      figures.held += outcomesOf("onec", "order", o.ref).filter((x) => x.result === "held").length;
      if (facts.ignored.onecOrders.has(o.ref)) {
        if (mine.length > 0) problems.push(`1C order ${o.ref} of ${g.label}: its counterparty was ignored, yet ${mine.length} deals mirror it`);
        if (!outcomesOf("onec", "order", o.ref).some((x) => x.stage === "crm-writer" && x.result === "skipped")) problems.push(`1C order ${o.ref} of ${g.label}: its counterparty was ignored, no skipped outcome of crm-writer`);
        continue;
      }
      const company = otherEnd(pairOf("onec", "counterparty", ref), "onec");
      if (mine.length === 1 && company !== null && String(mine[0]?.COMPANY_ID) !== company) problems.push(`1C order ${o.ref} of ${g.label}: its deal's company is ${String(mine[0]?.COMPANY_ID)}, its counterparty's pair ${company}`);
    }
  }

  // Every decision is about a legacy record the workload made ambiguous, and every one was taken by the person.
  const takenById = new Map(decider.taken.map((t) => [t.id, t]));
  for (const d of facts.decisions) {
    const key = sourceKey(d.source_system, d.source_entity, d.source_id);
    if (!legacySources.has(key)) problems.push(`decision ${d.id} about ${key}, not a legacy record (${d.reason}; ${d.status}${d.action ? ` ${d.action}` : ""})`);
    const t = takenById.get(d.id);
    if (d.status === "decided" && (!t || t.action !== d.action)) problems.push(`decision ${d.id}: ${d.action} by ${t ? `the person as ${t.action}` : "nobody the workload knows"}`);
  }
  const summary = `${customers} legacy customers needed by ${legacy.reduce((n, g) => n + g.deals.length, 0)} deals and ${legacy.reduce((n, g) => n + g.orders.length, 0)} 1C orders: ${figures.linkedByKeys} linked by keys, ${figures.createdNew} branch${figures.createdNew === 1 ? "" : "es"} given a counterparty of its own; ${facts.decisions.length} decisions (link ${figures.decided.link}, create ${figures.decided.create}, ignore ${figures.decided.ignore}, superseded ${figures.superseded}, open ${figures.open}; ${figures.refused} links refused), ${figures.held} held outcomes, orders of ignored customers skipped: ${facts.ignored.deals.size + facts.ignored.onecOrders.size}`;
  return { problems, summary, figures };
}
