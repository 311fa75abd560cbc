import { sql, type SQL } from "drizzle-orm";
import { entitiesOf } from "@concord/contracts";
import { queryRows, type Database, type exchangeLog } from "@concord/db";
import type { RecordQuery } from "./record-links";

/**
 * The record timeline's reads: which records a search names, and everything Concord kept about a
 * record and its pair — the mapping, the exchange log (events, decisions, outcomes, calls),
 * conflicts, decisions people took, dead letters. Every query goes through an index (the record
 * key, the target id, the trace id, the order number or INN of the sync state) and is bounded.
 */

export type SystemName = "bitrix24" | "onec";

export interface Ref {
  system: SystemName;
  entity: string;
  id: string;
}

export const refKey = (r: Ref) => `${r.system}:${r.entity}:${r.id}`;
const sameRef = (a: Ref, b: Ref) => a.system === b.system && a.entity === b.entity && a.id === b.id;

/** How a search found a record. */
export type FoundVia = "id" | "link" | "marker" | "number" | "inn" | "trace";

export interface FoundRecord {
  ref: Ref;
  via: FoundVia;
  /** The pairs it is in (either side). */
  pairs: Array<{ other: Ref | null; state: string }>;
  /** What people know it by, from its pair's sync state: an order number, a title or a name, an INN. */
  number: string | null;
  title: string | null;
  inn: string | null;
}

const isSystem = (s: unknown): s is SystemName => s === "bitrix24" || s === "onec";

/** Most records a search lists; most rows of each kind a timeline shows. */
export const SEARCH_LIMIT = 50;
export const TIMELINE_LIMIT = 500;

interface MappingRow {
  id: number;
  source_system: string;
  source_entity: string;
  source_id: string;
  target_system: string;
  target_entity: string;
  target_id: string | null;
  state: string;
  created_by: string;
  created_at: Date;
  confirmed_at: Date | null;
  deleted_at: Date | null;
  deleted_by: string | null;
  decision: string | null;
  decision_target: string | null;
}

const MAPPING_COLUMNS = sql`id, source_system, source_entity, source_id, target_system, target_entity, target_id, state, created_by, created_at, confirmed_at, deleted_at, deleted_by, decision, decision_target`;

/** The sides of a pair, as records. */
function sidesOf(m: MappingRow): { source: Ref | null; target: Ref | null } {
  const source = isSystem(m.source_system) ? { system: m.source_system, entity: m.source_entity, id: m.source_id } : null;
  const target = isSystem(m.target_system) && m.target_id ? { system: m.target_system, entity: m.target_entity, id: m.target_id } : null;
  return { source, target };
}

/** Pairs a record is in, from either side (the source key's and the target key's unique indexes). */
async function mappingsOf(db: Database, refs: readonly Ref[]): Promise<MappingRow[]> {
  if (refs.length === 0) return [];
  const bySource = refs.map((r) => sql`(source_system = ${r.system} and source_entity = ${r.entity} and source_id = ${r.id})`);
  const byTarget = refs.map((r) => sql`(target_system = ${r.system} and target_entity = ${r.entity} and target_id = ${r.id})`);
  return await queryRows<MappingRow>(db, sql`select ${MAPPING_COLUMNS} from id_mapping where ${sql.join([...bySource, ...byTarget], sql` or `)} order by id limit 200`);
}

/**
 * Records of any kind of `system` with this id that Concord has seen: in a pair, in the exchange
 * log (as the record or its target), in a dead letter. One indexed probe per kind.
 */
async function recordsWithId(db: Database, system: SystemName, id: string): Promise<Ref[]> {
  const entities = entitiesOf[system] as readonly string[];
  const kinds = sql.join(
    entities.map((e) => sql`(${e}::text)`),
    sql`, `,
  );
  const rows = await queryRows<{ entity: string }>(db, sql`
      select k.entity from (values ${kinds}) as k(entity)
      where exists (select 1 from id_mapping m where m.source_system = ${system} and m.source_entity = k.entity and m.source_id = ${id})
         or exists (select 1 from id_mapping m where m.target_system = ${system} and m.target_entity = k.entity and m.target_id = ${id})
         or exists (select 1 from exchange_log e where e.system = ${system} and e.entity = k.entity and e.record_id = ${id})
         or exists (select 1 from dead_letters d where d.system = ${system} and d.entity = k.entity and d.record_id = ${id})
         or exists (select 1 from exchange_log e where e.target_id = ${id} and e.target_system = ${system} and e.target_entity = k.entity)`);
  return rows.map((r) => ({ system, entity: r.entity, id }));
}

/** Pairs whose sync state holds this order number or INN (either side's values), through the expression indexes. */
async function pairsWithValue(db: Database, field: "number" | "inn", value: string): Promise<MappingRow[]> {
  const where = field === "number" ? sql`(s."values"->>'number') = ${value}` : sql`(s."values"->>'inn') = ${value}`;
  return await queryRows<MappingRow>(db, sql`select ${MAPPING_COLUMNS} from id_mapping where id in (select s.mapping_id from sync_state s where ${where} limit ${SEARCH_LIMIT}) order by id`);
}

/** Records of the orders Concord created in 1C under this number (the writer's "order created as <Number>, …"). */
async function createdWithNumber(db: Database, number: string): Promise<Ref[]> {
  const rows = await queryRows<{ system: string; entity: string; record_id: string; target_system: string | null; target_entity: string | null; target_id: string | null }>(db, sql`
      select system, entity, record_id, target_system, target_entity, target_id from exchange_log
      where result = 'created' and substring(detail from '^order created as ([^,]+),') = ${number}
      limit ${SEARCH_LIMIT}`);
  const refs: Ref[] = [];
  for (const r of rows) {
    if (isSystem(r.system)) refs.push({ system: r.system, entity: r.entity, id: r.record_id });
    if (isSystem(r.target_system) && r.target_entity && r.target_id) refs.push({ system: r.target_system, entity: r.target_entity, id: r.target_id });
  }
  return refs;
}

/** Records a trace touched: the exchange log's rows of it, and dead letters of it (both by index, bounded). */
async function recordsOfTrace(db: Database, traceId: string): Promise<Ref[]> {
  const rows = await queryRows<{ system: string; entity: string; record_id: string; target_system: string | null; target_entity: string | null; target_id: string | null }>(db, sql`
      (select system, entity, record_id, target_system, target_entity, target_id from exchange_log where trace_id = ${traceId} order by at limit 200)
      union all
      (select system, entity, record_id, null, null, null from dead_letters where trace_id = ${traceId} and record_id is not null order by id limit 50)`);
  const refs: Ref[] = [];
  for (const r of rows) {
    if (isSystem(r.system)) refs.push({ system: r.system, entity: r.entity, id: r.record_id });
    if (isSystem(r.target_system) && r.target_entity && r.target_id) refs.push({ system: r.target_system, entity: r.target_entity, id: r.target_id });
  }
  return refs;
}

interface SyncValues {
  mapping_id: number;
  side: string;
  values: Record<string, unknown> | null;
}

const textOf = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

/** The records a search names, each with its pairs and what people know it by. */
export async function findRecords(db: Database, query: RecordQuery): Promise<FoundRecord[]> {
  const found: Array<{ ref: Ref; via: FoundVia }> = [];
  const add = (refs: readonly Ref[], via: FoundVia) => {
    for (const ref of refs) if (!found.some((f) => sameRef(f.ref, ref))) found.push({ ref, via });
  };
  const addPairs = (rows: readonly MappingRow[], via: FoundVia) => {
    for (const m of rows) {
      const { source, target } = sidesOf(m);
      add([source, target].filter((r): r is Ref => r !== null), via);
    }
  };
  switch (query.kind) {
    case "empty":
      return [];
    case "record":
      if (query.entity) add([{ system: query.system, entity: query.entity, id: query.id }], query.via);
      else add(await recordsWithId(db, query.system, query.id), query.via);
      break;
    case "ref":
      add(await recordsWithId(db, "onec", query.id), "id");
      break;
    case "trace":
      add(await recordsOfTrace(db, query.traceId), "trace");
      break;
    case "text":
      if (query.bitrix24Id) add(await recordsWithId(db, "bitrix24", query.bitrix24Id), "id");
      addPairs(await pairsWithValue(db, "number", query.text), "number");
      add(await createdWithNumber(db, query.text), "number");
      if (query.inn) addPairs(await pairsWithValue(db, "inn", query.inn), "inn");
      break;
  }
  const records = found.slice(0, SEARCH_LIMIT);
  const mappings = await mappingsOf(
    db,
    records.map((r) => r.ref),
  );
  const values = await syncValuesOf(
    db,
    mappings.map((m) => m.id),
  );
  return records.map(({ ref, via }) => {
    const mine = mappings.filter((m) => {
      const { source, target } = sidesOf(m);
      return (source && sameRef(source, ref)) || (target && sameRef(target, ref));
    });
    const pairs = mine.map((m) => {
      const { source, target } = sidesOf(m);
      return { other: source && sameRef(source, ref) ? target : source, state: m.state };
    });
    const known = labelOf(
      values.filter((v) => mine.some((m) => m.id === v.mapping_id)),
      ref.system,
    );
    return { ref, via, pairs, ...known };
  });
}

async function syncValuesOf(db: Database, mappingIds: readonly number[]): Promise<SyncValues[]> {
  if (mappingIds.length === 0) return [];
  return await queryRows<SyncValues>(db, sql`select mapping_id, side, "values" from sync_state where mapping_id in (${sql.join(mappingIds.map((id) => sql`${id}`), sql`, `)})`);
}

/** What people know a record by: its own side's values first, then the other side's. */
function labelOf(values: readonly SyncValues[], system: SystemName): { number: string | null; title: string | null; inn: string | null } {
  const ordered = [...values].sort((a, b) => (a.side === system ? -1 : 0) - (b.side === system ? -1 : 0));
  const pick = (field: string) => ordered.map((v) => textOf(v.values?.[field])).find((v) => v !== null) ?? null;
  return { number: pick("number"), title: pick("title") ?? pick("name"), inn: pick("inn") };
}

/** A target call as the exchange log keeps it (exchange_log.calls): the table's own type. */
export type TargetCallRow = (typeof exchangeLog.$inferSelect)["calls"][number];

/** One line of a record's history. */
export type TimelineItem =
  | {
      kind: "exchange";
      at: Date;
      record: Ref;
      target: Ref | null;
      stage: string;
      result: string;
      detail: string;
      attempts: number;
      durationMs: number;
      traceId: string | null;
      messageId: string;
      calls: TargetCallRow[];
    }
  | { kind: "pair"; at: Date; record: Ref; other: Ref | null; result: "pair-claimed" | "pair-confirmed" | "pair-deleted"; createdBy: string; deletedBy: string | null; decision: string | null }
  | { kind: "conflict"; at: Date; record: Ref; field: string; crmValue: unknown; onecValue: unknown; winner: string; rule: string; traceId: string | null }
  | { kind: "decision"; at: Date; record: Ref; result: "decision-opened" | "decision-decided" | "decision-superseded"; decisionId: number; summary: string; reason: string; action: string | null; chosenId: string | null; decidedBy: string | null; candidates: Array<{ id: string; label: string }> }
  | { kind: "dead-letter"; at: Date; record: Ref; letterId: number; stage: string; status: string; errorCode: string; errorMessage: string; failureClass: string; attempts: number; traceId: string | null; firstFailedAt: Date };

export interface Timeline {
  record: Ref;
  /** The record's pairs, with their other side. */
  pairs: Array<{ mappingId: number; source: Ref | null; target: Ref | null; state: string; createdBy: string; createdAt: Date; confirmedAt: Date | null; deletedAt: Date | null; decision: string | null }>;
  /** Every record the timeline covers: the record and its counterparts. */
  records: Ref[];
  number: string | null;
  title: string | null;
  inn: string | null;
  items: TimelineItem[];
  /** Some kind of row was cut at TIMELINE_LIMIT: older history is not shown. */
  truncated: boolean;
}

/** A record's history across both systems: the record and its pair(s), newest first (or oldest first). */
export async function recordTimeline(db: Database, record: Ref, order: "newest" | "oldest" = "newest"): Promise<Timeline> {
  const mappings = await mappingsOf(db, [record]);
  const records: Ref[] = [record];
  for (const m of mappings) {
    const { source, target } = sidesOf(m);
    for (const r of [source, target]) if (r && !records.some((x) => sameRef(x, r))) records.push(r);
  }
  const mappingIds = mappings.map((m) => m.id);
  const byRecord = (prefix: string, system: string, entity: string, id: string): SQL =>
    sql.join(
      records.map((r) => sql`(${sql.raw(`${prefix}.${system}`)} = ${r.system} and ${sql.raw(`${prefix}.${entity}`)} = ${r.entity} and ${sql.raw(`${prefix}.${id}`)} = ${r.id})`),
      sql` or `,
    );
  // As the target of another record's row (a writer's outcome names the record it wrote): by the target id's index.
  const asTarget = sql.join(
    records.map((r) => sql`(e.target_id = ${r.id} and e.target_system = ${r.system} and e.target_entity = ${r.entity})`),
    sql` or `,
  );
  const inMappings = mappingIds.length > 0 ? sql.join(mappingIds.map((id) => sql`${id}`), sql`, `) : sql`null`;

  const [exchange, conflicts, decisions, letters, values] = await Promise.all([
    queryRows<{
    at: Date;
    stage: string;
    message_id: string;
    system: string;
    entity: string;
    record_id: string;
    target_system: string | null;
    target_entity: string | null;
    target_id: string | null;
    result: string;
    detail: string;
    attempts: number;
    duration_ms: number;
    trace_id: string | null;
    calls: TargetCallRow[] | null;
  }>(db, sql`
      select e.at, e.stage, e.message_id, e.system, e.entity, e.record_id, e.target_system, e.target_entity, e.target_id, e.result, e.detail, e.attempts, e.duration_ms, e.trace_id, e.calls
      from exchange_log e
      where ${byRecord("e", "system", "entity", "record_id")} or ${asTarget}
      order by e.at desc, e.id desc limit ${TIMELINE_LIMIT}`),
    queryRows<{ mapping_id: number; field: string; crm_value: unknown; onec_value: unknown; winner: string; rule: string; trace_id: string | null; detected_at: Date }>(db, sql`
      select c.mapping_id, c.entity, c.field, c.crm_value, c.onec_value, c.winner, c.rule, c.trace_id, c.detected_at
      from conflicts c where c.mapping_id in (${inMappings}) order by c.detected_at desc limit ${TIMELINE_LIMIT}`),
    queryRows<{
    id: number;
    mapping_id: number;
    source_system: string;
    source_entity: string;
    source_id: string;
    summary: string;
    reason: string;
    candidates: Array<{ id: string; label: string }> | null;
    status: string;
    action: string | null;
    chosen_id: string | null;
    decided_by: string | null;
    opened_at: Date;
    decided_at: Date | null;
  }>(db, sql`
      select d.id, d.mapping_id, d.source_system, d.source_entity, d.source_id, d.summary, d.reason, d.candidates, d.status, d.action, d.chosen_id, d.decided_by, d.opened_at, d.decided_at
      from decisions d where d.mapping_id in (${inMappings}) order by d.opened_at desc limit ${TIMELINE_LIMIT}`),
    queryRows<{
    id: string;
    stage: string;
    system: string;
    entity: string;
    record_id: string;
    status: string;
    error_code: string;
    error_message: string;
    failure_class: string;
    attempts: number;
    trace_id: string | null;
    first_failed_at: Date;
    last_failed_at: Date;
  }>(db, sql`
      select d.id, d.stage, d.system, d.entity, d.record_id, d.status, d.error_code, d.error_message, d.failure_class, d.attempts, d.trace_id, d.first_failed_at, d.last_failed_at
      from dead_letters d where ${byRecord("d", "system", "entity", "record_id")} order by d.last_failed_at desc limit ${TIMELINE_LIMIT}`),
    syncValuesOf(db, mappingIds),
  ]);

  const items: TimelineItem[] = [];
  for (const e of exchange) {
    if (!isSystem(e.system)) continue;
    const target = isSystem(e.target_system) && e.target_entity && e.target_id ? { system: e.target_system, entity: e.target_entity, id: e.target_id } : null;
    items.push({
      kind: "exchange",
      at: new Date(e.at),
      record: { system: e.system, entity: e.entity, id: e.record_id },
      target,
      stage: e.stage,
      result: e.result,
      detail: e.detail,
      attempts: Number(e.attempts),
      durationMs: Number(e.duration_ms),
      traceId: e.trace_id,
      messageId: e.message_id,
      calls: Array.isArray(e.calls) ? e.calls : [],
    });
  }
  for (const m of mappings) {
    const { source, target } = sidesOf(m);
    if (!source) continue;
    const base = { kind: "pair" as const, record: source, other: target, createdBy: m.created_by, deletedBy: m.deleted_by, decision: m.decision };
    items.push({ ...base, at: new Date(m.created_at), result: "pair-claimed" });
    if (m.confirmed_at) items.push({ ...base, at: new Date(m.confirmed_at), result: "pair-confirmed" });
    if (m.deleted_at) items.push({ ...base, at: new Date(m.deleted_at), result: "pair-deleted" });
  }
  const mappingRecord = (mappingId: number): Ref => {
    const m = mappings.find((x) => x.id === mappingId);
    return (m && (sidesOf(m).source ?? sidesOf(m).target)) ?? record;
  };
  for (const c of conflicts) {
    items.push({ kind: "conflict", at: new Date(c.detected_at), record: mappingRecord(c.mapping_id), field: c.field, crmValue: c.crm_value, onecValue: c.onec_value, winner: c.winner, rule: c.rule, traceId: c.trace_id });
  }
  for (const d of decisions) {
    const source = isSystem(d.source_system) ? { system: d.source_system, entity: d.source_entity, id: d.source_id } : mappingRecord(d.mapping_id);
    const base = { kind: "decision" as const, record: source, decisionId: Number(d.id), summary: d.summary, reason: d.reason, action: d.action, chosenId: d.chosen_id, decidedBy: d.decided_by, candidates: (d.candidates ?? []).map((c) => ({ id: c.id, label: c.label })) };
    items.push({ ...base, at: new Date(d.opened_at), result: "decision-opened" });
    if (d.decided_at) items.push({ ...base, at: new Date(d.decided_at), result: d.status === "superseded" ? "decision-superseded" : "decision-decided" });
  }
  for (const d of letters) {
    if (!isSystem(d.system)) continue;
    items.push({
      kind: "dead-letter",
      at: new Date(d.last_failed_at),
      record: { system: d.system, entity: d.entity, id: d.record_id },
      letterId: Number(d.id),
      stage: d.stage,
      status: d.status,
      errorCode: d.error_code,
      errorMessage: d.error_message,
      failureClass: d.failure_class,
      attempts: Number(d.attempts),
      traceId: d.trace_id,
      firstFailedAt: new Date(d.first_failed_at),
    });
  }
  const kindOrder = { pair: 0, decision: 1, exchange: 2, conflict: 3, "dead-letter": 4 } as const;
  items.sort((a, b) => a.at.getTime() - b.at.getTime() || kindOrder[a.kind] - kindOrder[b.kind]);
  if (order === "newest") items.reverse();
  const truncated = [exchange.length, conflicts.length, decisions.length, letters.length].some((n) => n >= TIMELINE_LIMIT);
  return {
    record,
    pairs: mappings.map((m) => ({ mappingId: m.id, ...sidesOf(m), state: m.state, createdBy: m.created_by, createdAt: new Date(m.created_at), confirmedAt: m.confirmed_at && new Date(m.confirmed_at), deletedAt: m.deleted_at && new Date(m.deleted_at), decision: m.decision })),
    records,
    ...labelOf(values, record.system),
    items,
    truncated,
  };
}
