import { and, desc, eq, inArray, isNotNull } from "drizzle-orm";
import { publishJson, requestRpc, type Bus, type MappingClient } from "@concord/bus";
import { goLiveRuns, idMapping, type Database } from "@concord/db";
import {
  ChangeEventSchema,
  CrmCustomerSnapshotReplySchema,
  DealSnapshotReplySchema,
  OnecSnapshotReplySchema,
  ReconcileReportSchema,
  SchemaVersions,
  changeEventId,
  createSubjects,
  isSyncError,
  type DriftField,
  type RecordRef,
  type ReconcileEntity,
  type ReconcileReport,
  type ReconcileTrigger,
} from "@concord/contracts";
import type { Policy } from "@concord/policy";
import { crmCustomerView, onecCustomerView, reconcileCustomer, type CustomerView } from "./customer-reconcile";
import { crmOrderView, onecOrderView, type OrderView } from "./order-view";
import { reconcileOrder } from "./order-reconcile";
import { learnStoredForms, readPairState } from "./pair-state";

/**
 * What a reconcile run needs, and nothing more: `concord reconcile` passes its go-live context,
 * the resolver's schedule its own connections. Both systems are read through the writers'
 * snapshot RPCs, so a run takes its requests from the writers' shared rate limits.
 */
export interface ReconcileDeps {
  /** Concord's PostgreSQL: id_mapping is read, the run is recorded in go_live_runs. */
  db: Database;
  bus: Pick<Bus, "nc" | "js">;
  mapping: MappingClient;
  policy: Policy;
  namespace: string;
  /** Recorded as the run's actor: `concord-cli@host`, or the schedule's replica. */
  actor: string;
  /** Progress lines (stderr in the CLI, the log in a service). */
  progress?: (text: string) => void;
}

export interface ReconcileOptions {
  heal: boolean;
  trigger?: ReconcileTrigger;
  /** Aborted (a service stopping): the run ends after the pair in hand, reported as stopped, nothing healed. */
  signal?: AbortSignal;
  /** Called with the run's id once its row exists (the schedule records it with the round). */
  onStarted?: (runId: number) => void | Promise<void>;
}

const KINDS: Record<ReconcileEntity, string[]> = { orders: ["deal", "order"], customers: ["company", "contact", "counterparty"] };
const SNAPSHOT_TIMEOUT_MS = 30_000;

interface Pair {
  id: number;
  source: RecordRef;
  target: RecordRef;
}

export const refText = (ref: RecordRef) => `${ref.system === "onec" ? "1C" : "Bitrix24"} ${ref.entity} ${ref.id}`;
const sideOf = (pair: Pair, system: "bitrix24" | "onec") => (pair.source.system === system ? pair.source : pair.target);
const valueText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value ?? null)).slice(0, 120);

/** The entity's pairs that have both records, read only (mapping stays the table's only writer). */
async function pairsOf(db: Database, entity: ReconcileEntity, confirmedOnly: boolean): Promise<Pair[]> {
  const rows = await db
    .select({ id: idMapping.id, sourceSystem: idMapping.sourceSystem, sourceEntity: idMapping.sourceEntity, sourceId: idMapping.sourceId, targetSystem: idMapping.targetSystem, targetEntity: idMapping.targetEntity, targetId: idMapping.targetId })
    .from(idMapping)
    .where(and(inArray(idMapping.sourceEntity, KINDS[entity]), isNotNull(idMapping.targetId), ...(confirmedOnly ? [eq(idMapping.state, "confirmed")] : [])))
    .orderBy(idMapping.id);
  return rows.map((r) => ({
    id: r.id,
    source: { system: r.sourceSystem, entity: r.sourceEntity, id: r.sourceId } as RecordRef,
    target: { system: r.targetSystem, entity: r.targetEntity, id: r.targetId } as RecordRef,
  }));
}

/**
 * One reconcile run of an entity (`concord reconcile`, or a round of the resolver's schedule):
 * every confirmed pair read from both sides through the writers' snapshot RPCs and decided by
 * the resolver's own reconcile under the ownership rules, without writing anything; `heal`
 * publishes a change event for each drifted pair's source record, so the fix goes through the
 * normal path — decided again from current data, logged, deduplicated, written once. The run and
 * its report are kept in go_live_runs (`concord reconcile --last`, `GET /api/reconcile`).
 */
export async function runReconcile(deps: ReconcileDeps, entity: ReconcileEntity, options: ReconcileOptions): Promise<ReconcileReport> {
  const [run] = await deps.db.insert(goLiveRuns).values({ kind: "reconcile", entity, apply: options.heal ? 1 : 0, status: "checking", checkpoint: {}, actor: deps.actor }).returning({ id: goLiveRuns.id });
  const runId = (run as { id: number }).id;
  try {
    return await compareAll(deps, entity, options, runId);
  } catch (error) {
    // A run that cannot go on (the database or NATS gone) says so, rather than looking like it still runs.
    await deps.db
      .update(goLiveRuns)
      .set({ status: "failed", finishedAt: new Date() })
      .where(eq(goLiveRuns.id, runId))
      .catch(() => undefined);
    throw error;
  }
}

async function compareAll(deps: ReconcileDeps, entity: ReconcileEntity, options: ReconcileOptions, runId: number): Promise<ReconcileReport> {
  const started = new Date().toISOString();
  const subjects = createSubjects(deps.namespace);
  const trigger = options.trigger ?? "cli";
  await options.onStarted?.(runId);
  const pairs = await pairsOf(deps.db, entity, true);
  const customers = entity === "orders" ? await pairsOf(deps.db, "customers", false) : [];
  const crmCustomerOf = new Map(customers.map((p) => [sideOf(p, "onec").id, `${sideOf(p, "bitrix24").entity}:${sideOf(p, "bitrix24").id}`]));
  const report: ReconcileReport = { runId, entity, heal: options.heal, trigger, checked: 0, drifted: [], unreadable: [], healed: [], stopped: false, startedAt: started, finishedAt: started };
  let last = Date.now();

  for (const pair of pairs) {
    if (options.signal?.aborted) {
      report.stopped = true;
      break;
    }
    const crmRef = sideOf(pair, "bitrix24");
    const onecRef = sideOf(pair, "onec");
    try {
      let fields: DriftField[] = [];
      let conflicts: string[] = [];
      if (entity === "orders") {
        const deal = await requestRpc(deps.bus.nc, subjects.rpc.crmSnapshot, { v: 1, type: "snapshot-request", entity: "deal", id: crmRef.id }, DealSnapshotReplySchema, SNAPSHOT_TIMEOUT_MS);
        const onec = await requestRpc(deps.bus.nc, subjects.rpc.onecSnapshot, { v: 1, type: "onec-snapshot-request", entity: "order", ref: onecRef.id }, OnecSnapshotReplySchema, SNAPSHOT_TIMEOUT_MS);
        if (!deal.found || onec.type !== "onec-order-snapshot") {
          report.unreadable.push({ mappingId: pair.id, source: pair.source, note: `${!deal.found ? refText(crmRef) : refText(onecRef)} is gone (its delete is the flow's to handle)` });
          continue;
        }
        const crmView = crmOrderView(deal, deps.policy.fieldMap);
        const onecView = onecOrderView(onec, onec.counterparty ? (crmCustomerOf.get(onec.counterparty.ref) ?? null) : null);
        const state = await readPairState<OrderView>(deps.mapping, pair.id);
        const { last: point } = learnStoredForms(state, onec.order.dataVersion, onecView);
        const decision = reconcileOrder({ crm: crmView, onec: onecView, last: point, policy: deps.policy, categoryId: deal.deal.categoryId });
        fields = driftOf(decision, crmView, onecView);
        conflicts = decision.conflicts.map((c) => c.field);
      } else {
        const crm = await requestRpc(deps.bus.nc, subjects.rpc.crmSnapshot, { v: 1, type: "snapshot-request", entity: crmRef.entity, id: crmRef.id }, CrmCustomerSnapshotReplySchema, SNAPSHOT_TIMEOUT_MS);
        const onec = await requestRpc(deps.bus.nc, subjects.rpc.onecSnapshot, { v: 1, type: "onec-snapshot-request", entity: "counterparty", ref: onecRef.id }, OnecSnapshotReplySchema, SNAPSHOT_TIMEOUT_MS);
        if (!crm.found || onec.type !== "onec-counterparty-snapshot") {
          report.unreadable.push({ mappingId: pair.id, source: pair.source, note: `${!crm.found ? refText(crmRef) : refText(onecRef)} is gone` });
          continue;
        }
        const crmView = crmCustomerView(crm);
        const onecView = onecCustomerView(onec.counterparty);
        const state = await readPairState<CustomerView>(deps.mapping, pair.id);
        const { last: point } = learnStoredForms(state, onec.counterparty.dataVersion, onecView);
        const decision = reconcileCustomer({ crm: crmView, onec: onecView, last: point, policy: deps.policy });
        fields = driftOf(decision, crmView, onecView);
        conflicts = decision.conflicts.map((c) => c.field);
      }
      report.checked += 1;
      if (fields.some((f) => f.write !== "none")) report.drifted.push({ mappingId: pair.id, source: pair.source, target: pair.target, fields, conflicts });
    } catch (error) {
      report.unreadable.push({ mappingId: pair.id, source: pair.source, note: isSyncError(error) ? `${error.code}: ${error.message}` : String((error as Error).message ?? error) });
    }
    if (Date.now() - last > 1000) {
      last = Date.now();
      deps.progress?.(`reconcile ${entity}: ${report.checked + report.unreadable.length}/${pairs.length} pairs, ${report.drifted.length} drifted`);
    }
  }

  if (options.heal && !report.stopped) {
    for (const drift of report.drifted) {
      const now = new Date().toISOString();
      // One event per pair and run: a repeated publish of this run is dropped by the stream; the resolver decides the pair from current data.
      const event = ChangeEventSchema.parse({ v: 1, type: "change", system: drift.source.system, entity: drift.source.entity, sourceId: drift.source.id, action: "upsert", sourceVersion: `reconcile:${runId}`, occurredAt: now, receivedAt: now, via: "manual" });
      const messageId = changeEventId(event);
      await publishJson(deps.bus.js, subjects.event(event.system, event.entity), event, { msgId: messageId, schema: SchemaVersions.change });
      report.healed.push({ mappingId: drift.mappingId, messageId });
    }
  }
  report.finishedAt = new Date().toISOString();
  await deps.db
    .update(goLiveRuns)
    .set({ status: report.stopped ? "stopped" : "reported", report: report as unknown as Record<string, unknown>, finishedAt: new Date() })
    .where(eq(goLiveRuns.id, runId));
  return report;
}

function driftOf<V extends object>(decision: { toOnec: Partial<V>; toCrm: Partial<V>; unsupported: Array<keyof V> }, crm: V, onec: V): DriftField[] {
  const out: DriftField[] = [];
  const value = (view: V, field: string) => (view as Record<string, unknown>)[field];
  for (const field of Object.keys(decision.toOnec)) out.push({ field, crm: value(crm, field), onec: value(onec, field), write: "to 1C" });
  for (const field of Object.keys(decision.toCrm)) out.push({ field, crm: value(crm, field), onec: value(onec, field), write: "to the CRM" });
  for (const field of decision.unsupported) out.push({ field: String(field), crm: value(crm, String(field)), onec: value(onec, String(field)), write: "none" });
  return out;
}

/** The last reconcile of an entity that ended, as stored (`concord reconcile --last`). */
export async function lastReconcile(db: Database, entity: ReconcileEntity): Promise<ReconcileReport | null> {
  const [row] = await db
    .select({ report: goLiveRuns.report })
    .from(goLiveRuns)
    .where(and(eq(goLiveRuns.kind, "reconcile"), eq(goLiveRuns.entity, entity), isNotNull(goLiveRuns.report)))
    .orderBy(desc(goLiveRuns.id))
    .limit(1);
  return row?.report ? ReconcileReportSchema.parse(row.report) : null;
}

export function formatReconcile(report: ReconcileReport): string {
  const by = report.trigger === "schedule" ? ", scheduled" : "";
  const lines = [
    `reconcile ${report.entity} (run ${report.runId}${report.heal ? ", heal" : ""}${by}, ${report.finishedAt}): ${report.checked} pairs checked, ${report.drifted.length} drifted, ${report.unreadable.length} unreadable${report.stopped ? " — stopped by a shutdown before the end" : ""}`,
  ];
  for (const d of report.drifted) {
    lines.push(`  ~ ${refText(d.source)} ↔ ${refText(d.target)} (mapping ${d.mappingId})${d.conflicts.length ? `; conflicts: ${d.conflicts.join(", ")}` : ""}`);
    for (const f of d.fields) lines.push(`      ${f.field}: CRM ${valueText(f.crm)} · 1C ${valueText(f.onec)} → ${f.write === "none" ? "not written (that direction is off or unsupported)" : `write ${f.write}`}`);
  }
  for (const u of report.unreadable) lines.push(`  ? ${refText(u.source)} (mapping ${u.mappingId}): ${u.note}`);
  if (report.heal) lines.push(`  healed: ${report.healed.length} change event(s) published; the flows write each fix once (exchange log)`);
  return lines.join("\n");
}
