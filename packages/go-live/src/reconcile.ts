import { and, desc, eq, isNotNull } from "drizzle-orm";
import { publishJson, requestRpc } from "@concord/bus";
import { goLiveRuns } from "@concord/db";
import {
  ChangeEventSchema,
  CrmCustomerSnapshotReplySchema,
  DealSnapshotReplySchema,
  OnecSnapshotReplySchema,
  SchemaVersions,
  changeEventId,
  createSubjects,
  isSyncError,
} from "@concord/contracts";
import { crmCustomerView, crmOrderView, learnStoredForms, onecCustomerView, onecOrderView, readPairState, reconcileCustomer, reconcileOrder, type CustomerView, type OrderView } from "@concord/reconcile";
import type { TablePair } from "./match";
import { refKey, refText, type Ref } from "./records";
import type { GoLiveContext } from "./run";
import { readTable } from "./runs";

/** One field of a mapped pair that the two sides hold differently, and what its owner's rule says to do. */
export interface DriftField {
  field: string;
  crm: unknown;
  onec: unknown;
  /** to 1C / to the CRM: the write the ownership rules make; none: a difference that direction cannot write. */
  write: "to 1C" | "to the CRM" | "none";
}

export interface Drift {
  mappingId: number;
  source: Ref;
  target: Ref;
  fields: DriftField[];
  /** Fields edited on both sides since the last sync (the owner wins). */
  conflicts: string[];
}

export interface ReconcileReport {
  runId: number;
  entity: "orders" | "customers";
  heal: boolean;
  checked: number;
  drifted: Drift[];
  /** Pairs whose record is gone on a side, or could not be read (with why). */
  unreadable: Array<{ mappingId: number; source: Ref; note: string }>;
  /** Heal: the change event published per drifted pair (its dedupe id). */
  healed: Array<{ mappingId: number; messageId: string }>;
  startedAt: string;
  finishedAt: string;
}

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value ?? null)).slice(0, 120);
const sideOf = (pair: TablePair, system: "bitrix24" | "onec") => (pair.source.system === system ? pair.source : (pair.target as Ref));

/**
 * `concord reconcile`: every confirmed pair of orders or customers read from both sides through
 * the writers' snapshot RPCs (their rate limits, their reading rules) and decided by the
 * resolver's own reconcile under the ownership rules, without writing anything; `heal`
 * publishes a change event for each drifted pair's source record, so the fix goes through the
 * normal path — decided again from current data, logged, deduplicated, written once.
 */
export async function runReconcile(ctx: GoLiveContext, entity: "orders" | "customers", options: { heal: boolean }): Promise<ReconcileReport> {
  const started = new Date().toISOString();
  const subjects = createSubjects(ctx.config.CONCORD_NAMESPACE);
  const [run] = await ctx.handle.db.insert(goLiveRuns).values({ kind: "reconcile", entity, apply: options.heal ? 1 : 0, status: "checking", checkpoint: {}, actor: ctx.actor }).returning({ id: goLiveRuns.id });
  const runId = (run as { id: number }).id;
  const pairs = (await readTable(ctx.handle.db, entity)).filter((p) => p.state === "confirmed" && p.target !== null);
  const customers = entity === "orders" ? await readTable(ctx.handle.db, "customers") : [];
  const crmCustomerOf = new Map(customers.filter((p) => p.target).map((p) => [refKey(sideOf(p, "onec")), `${sideOf(p, "bitrix24").entity}:${sideOf(p, "bitrix24").id}`]));
  const report: ReconcileReport = { runId, entity, heal: options.heal, checked: 0, drifted: [], unreadable: [], healed: [], startedAt: started, finishedAt: started };
  let last = Date.now();

  for (const pair of pairs) {
    const crmRef = sideOf(pair, "bitrix24");
    const onecRef = sideOf(pair, "onec");
    try {
      let fields: DriftField[] = [];
      let conflicts: string[] = [];
      if (entity === "orders") {
        const deal = await requestRpc(ctx.bus.nc, subjects.rpc.crmSnapshot, { v: 1, type: "snapshot-request", entity: "deal", id: crmRef.id }, DealSnapshotReplySchema, 30_000);
        const onec = await requestRpc(ctx.bus.nc, subjects.rpc.onecSnapshot, { v: 1, type: "onec-snapshot-request", entity: "order", ref: onecRef.id }, OnecSnapshotReplySchema, 30_000);
        if (!deal.found || onec.type !== "onec-order-snapshot") {
          report.unreadable.push({ mappingId: pair.id, source: pair.source, note: `${!deal.found ? refText(crmRef) : refText(onecRef)} is gone (its delete is the flow's to handle)` });
          continue;
        }
        const crmView = crmOrderView(deal, ctx.policy.fieldMap);
        const onecView = onecOrderView(onec, onec.counterparty ? (crmCustomerOf.get(`onec:counterparty:${onec.counterparty.ref}`) ?? null) : null);
        const state = await readPairState<OrderView>(ctx.mapping, pair.id);
        const { last: point } = learnStoredForms(state, onec.order.dataVersion, onecView);
        const decision = reconcileOrder({ crm: crmView, onec: onecView, last: point, policy: ctx.policy, categoryId: deal.deal.categoryId });
        fields = driftOf(decision, crmView, onecView);
        conflicts = decision.conflicts.map((c) => c.field);
      } else {
        const crm = await requestRpc(ctx.bus.nc, subjects.rpc.crmSnapshot, { v: 1, type: "snapshot-request", entity: crmRef.entity, id: crmRef.id }, CrmCustomerSnapshotReplySchema, 30_000);
        const onec = await requestRpc(ctx.bus.nc, subjects.rpc.onecSnapshot, { v: 1, type: "onec-snapshot-request", entity: "counterparty", ref: onecRef.id }, OnecSnapshotReplySchema, 30_000);
        if (!crm.found || onec.type !== "onec-counterparty-snapshot") {
          report.unreadable.push({ mappingId: pair.id, source: pair.source, note: `${!crm.found ? refText(crmRef) : refText(onecRef)} is gone` });
          continue;
        }
        const crmView = crmCustomerView(crm);
        const onecView = onecCustomerView(onec.counterparty);
        const state = await readPairState<CustomerView>(ctx.mapping, pair.id);
        const { last: point } = learnStoredForms(state, onec.counterparty.dataVersion, onecView);
        const decision = reconcileCustomer({ crm: crmView, onec: onecView, last: point, policy: ctx.policy });
        fields = driftOf(decision, crmView, onecView);
        conflicts = decision.conflicts.map((c) => c.field);
      }
      report.checked += 1;
      if (fields.some((f) => f.write !== "none")) report.drifted.push({ mappingId: pair.id, source: pair.source, target: pair.target as Ref, fields, conflicts });
    } catch (error) {
      report.unreadable.push({ mappingId: pair.id, source: pair.source, note: isSyncError(error) ? `${error.code}: ${error.message}` : String((error as Error).message ?? error) });
    }
    if (Date.now() - last > 1000) {
      last = Date.now();
      ctx.progress(`reconcile ${entity}: ${report.checked + report.unreadable.length}/${pairs.length} pairs, ${report.drifted.length} drifted`);
    }
  }

  if (options.heal) {
    for (const drift of report.drifted) {
      const now = new Date().toISOString();
      // One event per pair and run: a repeated publish of this run is dropped by the stream; the resolver decides the pair from current data.
      const event = ChangeEventSchema.parse({ v: 1, type: "change", system: drift.source.system, entity: drift.source.entity, sourceId: drift.source.id, action: "upsert", sourceVersion: `reconcile:${runId}`, occurredAt: now, receivedAt: now, via: "manual" });
      const messageId = changeEventId(event);
      await publishJson(ctx.bus.js, subjects.event(event.system, event.entity), event, { msgId: messageId, schema: SchemaVersions.change });
      report.healed.push({ mappingId: drift.mappingId, messageId });
    }
  }
  report.finishedAt = new Date().toISOString();
  await ctx.handle.db.update(goLiveRuns).set({ status: "reported", report: report as unknown as Record<string, unknown>, finishedAt: new Date() }).where(eq(goLiveRuns.id, runId));
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

/** The last reconcile of an entity, as stored (`concord reconcile --last`). */
export async function lastReconcile(ctx: GoLiveContext, entity: "orders" | "customers"): Promise<ReconcileReport | null> {
  const [row] = await ctx.handle.db
    .select({ report: goLiveRuns.report })
    .from(goLiveRuns)
    .where(and(eq(goLiveRuns.kind, "reconcile"), eq(goLiveRuns.entity, entity), isNotNull(goLiveRuns.report)))
    .orderBy(desc(goLiveRuns.id))
    .limit(1);
  return (row?.report as ReconcileReport | undefined) ?? null;
}

export function formatReconcile(report: ReconcileReport): string {
  const lines = [
    `reconcile ${report.entity} (run ${report.runId}${report.heal ? ", heal" : ""}): ${report.checked} pairs checked, ${report.drifted.length} drifted, ${report.unreadable.length} unreadable`,
  ];
  for (const d of report.drifted) {
    lines.push(`  ~ ${refText(d.source)} ↔ ${refText(d.target)} (mapping ${d.mappingId})${d.conflicts.length ? `; conflicts: ${d.conflicts.join(", ")}` : ""}`);
    for (const f of d.fields) lines.push(`      ${f.field}: CRM ${text(f.crm)} · 1C ${text(f.onec)} → ${f.write === "none" ? "not written (that direction is off or unsupported)" : `write ${f.write}`}`);
  }
  for (const u of report.unreadable) lines.push(`  ? ${refText(u.source)} (mapping ${u.mappingId}): ${u.note}`);
  if (report.heal) lines.push(`  healed: ${report.healed.length} change event(s) published; the flows write each fix once (exchange log)`);
  return lines.join("\n");
}
