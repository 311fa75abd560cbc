import { hostname } from "node:os";
import { createBitrix24Client } from "@concord/bitrix24-client";
import { connectBus, createDecisionClient, createMappingClient, createSharedRateLimiter, openStateStore, rateLimitKey, type Bus, type DecisionClient, type MappingClient, type StateStore } from "@concord/bus";
import { createSubjects, isSyncError, type Entity, type System } from "@concord/contracts";
import { connectDb, migrateDb, type DbHandle } from "@concord/db";
import { createOnecClient, markerAdded, type OnecClient } from "@concord/onec-client";
import type { Policy } from "@concord/policy";
import type { Logger } from "@concord/telemetry";
import type { GoLiveConfig } from "./config";
import type { DecisionEntry } from "./decisions-file";
import { matchEntity, provenPairs, type Ambiguous, type MatchResult, type Pair, type Sides, type TablePair } from "./match";
import { LISTS, refKey, refText, withRequisites, type CustomerRecord, type GoLiveEntity, type ListName, type OrderRecord, type ProductRecord, type RequisiteRecord } from "./records";
import type { Report } from "./report";
import { createRunStore, readTable, type Checkpoint, type RunKind, type RunStore } from "./runs";
import { OnecSets, createSources, type Counters, type ListSource } from "./sources";

/** Where a flow's backfill state is kept: NATS KV `<NS>_STATE`, key `backfill.<entity>` (the resolver reads it at start). */
export const backfillGateKey = (entity: GoLiveEntity) => `backfill.${entity}`;
export interface BackfillGate {
  status: "applied" | "skipped";
  at: string;
  by: string;
  runId: number | null;
  reason: string | null;
}

export interface GoLiveContext {
  config: GoLiveConfig;
  policy: Policy;
  handle: DbHandle;
  runs: RunStore;
  bus: Bus;
  mapping: MappingClient;
  decisions: DecisionClient;
  state: StateStore;
  onec: OnecClient;
  sources: Record<ListName, ListSource>;
  counters: Counters;
  actor: string;
  /** Progress lines (stderr). */
  progress(text: string): void;
  close(): Promise<void>;
}

export async function openContext(config: GoLiveConfig, policy: Policy, logger: Logger, progress: (text: string) => void): Promise<GoLiveContext> {
  // The runs' tables come with the mapping's migrations; a tool started first applies them (idempotent, locked).
  await migrateDb(config.DATABASE_URL, config.DATABASE_SCHEMA);
  const handle = connectDb(config.DATABASE_URL, config.DATABASE_SCHEMA, 2);
  const subjects = createSubjects(config.CONCORD_NAMESPACE);
  const bus = await connectBus(config.NATS_URL, "concord-go-live");
  const state = await openStateStore(bus, subjects);
  // The same shared limits as the writers: a backfill beside live writers stays within the portal's and the base's.
  const crmLimiter = createSharedRateLimiter({ state, key: rateLimitKey("bitrix24", config.B24_WEBHOOK_URL), ratePerSec: config.B24_RATE_PER_SEC, burst: config.B24_RATE_BURST, logger });
  const onecLimiter = createSharedRateLimiter({ state, key: rateLimitKey("onec", config.ONEC_ODATA_URL), ratePerSec: config.ONEC_RATE_PER_SEC, burst: config.ONEC_RATE_BURST, logger });
  const crm = createBitrix24Client({ webhookBase: config.B24_WEBHOOK_URL, timeoutMs: config.B24_TIMEOUT_MS, limiter: crmLimiter, batchMax: 1 });
  const onec = createOnecClient({ serviceRoot: config.ONEC_ODATA_URL, user: config.ONEC_USER, password: config.ONEC_PASSWORD, timeoutMs: config.ONEC_TIMEOUT_MS, limiter: onecLimiter });
  const counters: Counters = { bitrix24: 0, onec: 0 };
  return {
    config,
    policy,
    handle,
    runs: createRunStore(handle.db),
    bus,
    mapping: createMappingClient(bus.nc, subjects),
    decisions: createDecisionClient(bus.nc, subjects),
    state,
    onec,
    sources: createSources({ crm, onec, counters, skuField: config.CRM_PRODUCT_SKU_FIELD, onecPageSize: config.GO_LIVE_ONEC_PAGE_SIZE, b24PagesPerBatch: config.GO_LIVE_B24_PAGES_PER_BATCH }),
    counters,
    actor: `concord-cli@${hostname()}`,
    progress,
    close: async () => {
      await bus.nc.drain().catch(() => undefined);
      await handle.close();
    },
  };
}

type Data = { customers?: Sides<CustomerRecord>; products?: Sides<ProductRecord>; orders?: Sides<OrderRecord> };

/** Progress: records read of the lists' totals, rate, and time left at that rate. */
export function progressLine(entity: string, checkpoint: Checkpoint, startedMs: number, readAtStart: number, nowMs: number): string {
  const lists = Object.values(checkpoint);
  const read = lists.reduce((n, l) => n + l.read, 0);
  const total = lists.every((l) => l.total !== null) ? lists.reduce((n, l) => n + Math.max(l.total ?? 0, l.read), 0) : null;
  const seconds = Math.max(0.001, (nowMs - startedMs) / 1000);
  const rate = (read - readAtStart) / seconds;
  const left = total !== null && rate > 0 ? Math.max(0, (total - read) / rate) : null;
  const pct = total ? ` (${Math.floor((100 * read) / Math.max(1, total))}%)` : "";
  return `${entity}: read ${read}${total !== null ? `/${total}` : ""}${pct} · ${rate.toFixed(0)} records/s · ${left === null ? "time left unknown" : `~${Math.ceil(left)} s left`}`;
}

/**
 * Reads every list of the entity into the run's pages, resuming a run that was interrupted
 * (its checkpoint says where each list stopped); then the records, all of them, from the pages.
 */
async function readLists(ctx: GoLiveContext, kind: RunKind, entity: GoLiveEntity, apply: boolean, restart: boolean): Promise<{ runId: number; data: Data; read: Record<string, number>; startedAt: string; resumed: boolean }> {
  const lists = LISTS[entity];
  let run = restart ? null : await ctx.runs.unfinished(kind, entity);
  const resumed = run !== null;
  if (run && restart === false) {
    ctx.progress(`${kind} ${entity}: resuming run ${run.id} (started ${run.startedAt.toISOString()} by ${run.actor})`);
    if (Boolean(run.apply) !== apply) await ctx.runs.setApply(run.id, apply);
  }
  run ??= await ctx.runs.start(kind, entity, apply, ctx.actor, lists);
  const checkpoint = run.checkpoint as Checkpoint;
  const started = Date.now();
  const readAtStart = Object.values(checkpoint).reduce((n, l) => n + l.read, 0);
  for (const list of lists) {
    const cp = checkpoint[list] ?? { next: 0, done: false, read: 0, total: null };
    checkpoint[list] = cp;
    if (cp.total === null && !cp.done) cp.total = await ctx.sources[list].total();
  }
  await ctx.runs.setTotal(run.id, checkpoint);
  let pages = 0;
  let lastPrint = 0;
  for (const list of lists) {
    const cp = checkpoint[list] as Checkpoint[string];
    let page = cp.read > 0 || cp.next > 0 ? await pageCount(ctx, run.id, list) : 0;
    while (!cp.done) {
      const { records, next } = await ctx.sources[list].page(cp.next);
      cp.read += records.length;
      cp.done = next === null;
      cp.next = next ?? cp.next;
      await ctx.runs.savePage(run.id, list, page, records, checkpoint);
      page += 1;
      pages += 1;
      if (Date.now() - lastPrint > 1000 || cp.done) {
        lastPrint = Date.now();
        ctx.progress(progressLine(`${kind} ${entity}`, checkpoint, started, readAtStart, Date.now()));
      }
      if (ctx.config.GO_LIVE_TEST_KILL_AFTER_PAGES !== undefined && pages >= ctx.config.GO_LIVE_TEST_KILL_AFTER_PAGES) process.kill(process.pid, "SIGKILL");
    }
  }
  await ctx.runs.setStatus(run.id, "matching");
  const of = async <T>(list: ListName) => (await ctx.runs.records(run.id, list)) as T[];
  const data: Data = {};
  if (entity === "customers") {
    const requisites = await of<RequisiteRecord>("bitrix24.requisite");
    data.customers = { crm: withRequisites([...(await of<CustomerRecord>("bitrix24.company")), ...(await of<CustomerRecord>("bitrix24.contact"))], requisites), onec: await of<CustomerRecord>("onec.counterparty") };
  } else if (entity === "products") data.products = { crm: await of<ProductRecord>("bitrix24.product"), onec: await of<ProductRecord>("onec.product") };
  else data.orders = { crm: await of<OrderRecord>("bitrix24.deal"), onec: await of<OrderRecord>("onec.order") };
  const read = Object.fromEntries(lists.map((l) => [l, (checkpoint[l] as Checkpoint[string]).read]));
  return { runId: run.id, data, read, startedAt: run.startedAt.toISOString(), resumed };
}

async function pageCount(ctx: GoLiveContext, runId: number, list: ListName): Promise<number> {
  const rows = await ctx.handle.sql<Array<{ n: number }>>`select count(*)::int as n from go_live_pages where run_id = ${runId} and list = ${list}`;
  return rows[0]?.n ?? 0;
}

const errorText = (error: unknown) => (isSyncError(error) ? `${error.code}: ${error.message}` : String((error as Error)?.message ?? error));

/** Concord's marker on a 1C counterparty linked to a CRM customer, so the pair can be rebuilt from the records (other attribute rows kept). */
async function writeMarker(ctx: GoLiveContext, counterparty: string, crm: { entity: Entity; id: string }): Promise<boolean> {
  ctx.counters.onec += 1;
  const current = await ctx.onec.get(OnecSets.counterparty, counterparty);
  if (!current) return false;
  const body = markerAdded(current, `concord:bitrix24:${crm.entity}:${crm.id}`);
  if (Object.keys(body).length === 0) return false;
  ctx.counters.onec += 1;
  await ctx.onec.patch(OnecSets.counterparty, counterparty, body);
  return true;
}

/**
 * Writes one certain pair through the mapping service: a claim (which returns the pair if it
 * exists) and a confirm. A pair mapped the same way is left as it is; one mapped otherwise, or
 * a claim someone else holds without a target (a flow creating it, a decision awaited), is
 * reported and left alone.
 */
async function applyPair(ctx: GoLiveContext, pair: Pair, createdBy: string): Promise<string> {
  try {
    const { mapping: row, claimed } = await ctx.mapping.claim({ source: pair.source, targetSystem: pair.target.system, targetEntity: pair.target.entity, createdBy });
    const other = row.sourceSystem === pair.source.system ? row.targetId : row.sourceId;
    if (row.state === "deleted") return "refused: the table holds this pair as deleted (a deleted pair is never re-created)";
    if (other !== null && other !== pair.target.id) return `refused: the table maps it to ${other}`;
    if (other === null && !claimed && row.createdBy !== createdBy) return `left to the flow: claimed by ${row.createdBy}${row.decision ? ` (decision ${row.decision})` : ""} without a target yet`;
    const linked = other === null ? await ctx.mapping.confirm(row.id, pair.target.id) : row;
    let marker = false;
    if (pair.source.system === "bitrix24" && pair.target.entity === "counterparty") marker = await writeMarker(ctx, pair.target.id, pair.source);
    return other === null ? `linked (${pair.by}; mapping ${linked.id})${marker ? ", marker written" : ""}` : `unchanged${marker ? " (marker written)" : ""}`;
  } catch (error) {
    return `refused: ${errorText(error)}`;
  }
}

/**
 * An ambiguous customer: with a person's decision from the file, the decision is opened and
 * taken through the mapping service (a link is confirmed at once and gets the marker); without
 * one, the decision is opened for people (`concord decisions`), and the flow holds the record.
 */
async function applyAmbiguous(ctx: GoLiveContext, a: Ambiguous, entry: DecisionEntry | undefined): Promise<string> {
  if (a.source.entity === "product") return entry ? "refused: decisions on products are not kept (fix the articles)" : "reported (products: fix the articles)";
  try {
    const { mapping: row } = await ctx.mapping.claim({ source: a.source, targetSystem: "onec", targetEntity: "counterparty", createdBy: "backfill" });
    if (row.targetId !== null || row.state === "deleted") return `left alone: the table has it already (${row.state})`;
    const decision = await ctx.mapping.openDecision(row.id, a.summary, a.reason, a.candidates);
    if (!entry) return `decision ${decision.id} opened (concord decisions)`;
    const decided = await ctx.decisions.decide({ id: decision.id, action: entry.action, ...(entry.candidate ? { candidateId: entry.candidate } : {}), actor: `${ctx.actor} (decisions file, line ${entry.line})` });
    if (entry.action !== "link" || !decided.decision.chosenId) return `decision ${decision.id}: ${entry.action}${entry.action === "create" ? " (the flow creates it when an order needs it)" : ""}`;
    await ctx.mapping.confirm(row.id, decided.decision.chosenId, undefined, "backfill:decision");
    const marker = await writeMarker(ctx, decided.decision.chosenId, a.source);
    return `decision ${decision.id}: linked to ${decided.decision.chosenId}${marker ? ", marker written" : ""}`;
  } catch (error) {
    return `refused: ${errorText(error)}`;
  }
}

/** A pair confirmed earlier (this run before an interruption, or a link) whose 1C counterparty lacks the marker gets it. */
async function repairMarkers(ctx: GoLiveContext, table: TablePair[], counterparties: CustomerRecord[], applied: Report["applied"]): Promise<void> {
  const byId = new Map(counterparties.map((c) => [c.ref.id, c]));
  for (const row of table) {
    if (row.state !== "confirmed" || !row.target || row.source.system !== "bitrix24" || !row.createdBy.startsWith("backfill")) continue;
    const counterparty = byId.get(row.target.id);
    const marker = `concord:bitrix24:${row.source.entity}:${row.source.id}`;
    if (!counterparty || counterparty.inverse === marker || counterparty.deleted) continue;
    try {
      if (await writeMarker(ctx, row.target.id, row.source)) applied.push({ source: refKey(row.source), outcome: "unchanged (marker written)" });
    } catch (error) {
      applied.push({ source: refKey(row.source), outcome: `refused: marker not written: ${errorText(error)}` });
    }
  }
}

export interface RunOptions {
  apply: boolean;
  restart?: boolean;
  decisions?: DecisionEntry[];
}

function reportOf(kind: Report["kind"], entity: GoLiveEntity, runId: number, apply: boolean, read: Record<string, number>, results: MatchResult, applied: Report["applied"], startedAt: string, counters: Counters): Report {
  return { kind, entity, apply, runId, read, results, applied, startedAt, finishedAt: new Date().toISOString(), requests: { ...counters } };
}

/**
 * `concord backfill`: reads both systems, matches, and (with apply) writes the certain pairs
 * (`created_by = backfill`), opens a decision for each ambiguous customer or takes the one the
 * file gives, and records the entity's backfill as done (the flows' gate).
 */
export async function runBackfill(ctx: GoLiveContext, entity: GoLiveEntity, options: RunOptions): Promise<Report> {
  const { runId, data, read, startedAt } = await readLists(ctx, "backfill", entity, options.apply, options.restart ?? false);
  const table = await readTable(ctx.handle.db, entity);
  const results = matchEntity(entity, data, ctx.policy.matching, table);
  const applied: Report["applied"] = [];
  const entries = new Map((options.decisions ?? []).map((e) => [refKey(e.source), e]));
  if (options.apply) {
    await ctx.runs.setStatus(runId, "applying");
    let done = 0;
    for (const pair of results.pairs) {
      applied.push({ source: refKey(pair.source), outcome: await applyPair(ctx, pair, "backfill") });
      done += 1;
      if (done % 500 === 0) {
        await ctx.runs.setStatus(runId, "applying", done);
        ctx.progress(`backfill ${entity}: applied ${done}/${results.pairs.length}`);
      }
    }
    for (const a of results.ambiguous) applied.push({ source: refKey(a.source), outcome: await applyAmbiguous(ctx, a, entries.get(refKey(a.source))) });
    if (entity === "customers" && data.customers) await repairMarkers(ctx, await readTable(ctx.handle.db, entity), data.customers.onec, applied);
  }
  const ambiguousKeys = new Set(results.ambiguous.map((a) => refKey(a.source)));
  for (const [key, entry] of entries) if (!ambiguousKeys.has(key)) applied.push({ source: key, outcome: `decision not used: ${refText(entry.source)} is not ambiguous in this run` });
  const report = reportOf("backfill", entity, runId, options.apply, read, results, applied, startedAt, ctx.counters);
  await ctx.runs.finish(runId, options.apply ? "applied" : "reported", { summary: { pairs: results.pairs.length, ambiguous: results.ambiguous.length } });
  if (options.apply) {
    const gate: BackfillGate = { status: "applied", at: new Date().toISOString(), by: ctx.actor, runId, reason: null };
    await ctx.state.putJson(backfillGateKey(entity), gate);
  }
  return report;
}

/** `concord backfill --skip <entity>`: a person chose to start the entity's flows without a backfill. */
export async function skipBackfill(ctx: Pick<GoLiveContext, "state" | "actor">, entity: GoLiveEntity, reason: string): Promise<BackfillGate> {
  const gate: BackfillGate = { status: "skipped", at: new Date().toISOString(), by: ctx.actor, runId: null, reason };
  await ctx.state.putJson(backfillGateKey(entity), gate);
  return gate;
}

/**
 * `concord mapping rebuild`: the pairs the inverse ids prove on both systems' records, written
 * where the table lacks them (`created_by = rebuild`); pairs the table has are left alone, and
 * a table that disagrees with the records is reported, never overwritten.
 */
export async function runRebuild(ctx: GoLiveContext, entity: GoLiveEntity, options: RunOptions): Promise<Report> {
  const { runId, data, read, startedAt } = await readLists(ctx, "rebuild", entity, options.apply, options.restart ?? false);
  const table = await readTable(ctx.handle.db, entity);
  const proven = provenPairs(entity, data);
  const results = compareWithTable(entity, proven, table);
  const applied: Report["applied"] = [];
  if (options.apply) for (const pair of results.pairs) applied.push({ source: refKey(pair.source), outcome: await applyPair(ctx, pair, "rebuild") });
  const report = reportOf("rebuild", entity, runId, options.apply, read, results, applied, startedAt, ctx.counters);
  await ctx.runs.finish(runId, options.apply ? "applied" : "reported", { summary: { pairs: results.pairs.length, disagreements: results.disagreements.length } });
  return report;
}

/**
 * `concord mapping verify`: every confirmed, live pair of the table against the inverse ids on
 * the records, and every pair the records prove against the table. Products are checked one
 * way only (a table pair's article must agree): the CRM may hold products with an article that
 * no flow has needed yet.
 */
export async function runVerify(ctx: GoLiveContext, entity: GoLiveEntity): Promise<Report> {
  const { runId, data, read, startedAt } = await readLists(ctx, "verify", entity, false, false);
  const table = await readTable(ctx.handle.db, entity);
  const results = compareWithTable(entity, provenPairs(entity, data), table);
  if (entity === "products") results.pairs = [];
  results.disagreements.push(...results.pairs.map((p) => ({ ref: p.source, note: `missing in the table: the records say ${refText(p.source)} ↔ ${refText(p.target)} (${p.by})` })));
  results.pairs = [];
  const report = reportOf("verify", entity, runId, false, read, results, [], startedAt, ctx.counters);
  await ctx.runs.finish(runId, "reported", { summary: { disagreements: results.disagreements.length } });
  return report;
}

/** Proven pairs against the table: new ones (`pairs`), agreeing ones (counted), and every disagreement both ways. */
export function compareWithTable(entity: GoLiveEntity, proven: { pairs: Pair[]; disagreements: Array<{ ref: { system: System; entity: Entity; id: string }; note: string }> }, table: TablePair[]): MatchResult {
  const results: MatchResult = { entity, pairs: [], alreadyMapped: 0, ambiguous: [], unmatched: { bitrix24: [], onec: [] }, disagreements: [...proven.disagreements] };
  const provenBy = new Map<string, Pair>();
  for (const p of proven.pairs) {
    provenBy.set(refKey(p.source), p);
    provenBy.set(refKey(p.target), p);
  }
  const tableBy = new Map<string, TablePair>();
  for (const row of table) {
    if (row.state !== "confirmed" || !row.target) continue;
    tableBy.set(refKey(row.source), row);
    tableBy.set(refKey(row.target), row);
    const p = provenBy.get(refKey(row.source)) ?? provenBy.get(refKey(row.target));
    const same = p && refKey(p.source) === refKey(row.source) && refKey(p.target) === refKey(row.target);
    const flipped = p && refKey(p.source) === refKey(row.target) && refKey(p.target) === refKey(row.source);
    if (same || flipped) results.alreadyMapped += 1;
    else if (p) results.disagreements.push({ ref: row.source, note: `the table maps ${refText(row.source)} → ${refText(row.target)} (mapping ${row.id}); the records say ${refText(p.source)} ↔ ${refText(p.target)} (${p.by})` });
    else results.disagreements.push({ ref: row.source, note: `the table maps ${refText(row.source)} → ${refText(row.target)} (mapping ${row.id}, ${row.createdBy}); neither record carries the other's id${entity === "products" ? " (the articles differ or a record is gone)" : " (or one is gone)"}` });
  }
  const deletedOrClaimed = new Set(table.filter((r) => r.state !== "confirmed" || !r.target).flatMap((r) => [refKey(r.source), ...(r.target ? [refKey(r.target)] : [])]));
  for (const p of proven.pairs) {
    if (tableBy.has(refKey(p.source)) || tableBy.has(refKey(p.target))) continue;
    if (deletedOrClaimed.has(refKey(p.source)) && table.some((r) => refKey(r.source) === refKey(p.source) && r.state === "deleted")) continue; // deleted pairs stay deleted
    results.pairs.push(p);
  }
  return results;
}
