import {
  DealSnapshotReplySchema,
  OnecSnapshotReplySchema,
  SchemaVersions,
  commandId,
  contentHash,
  crmCommandId,
  toMoney,
  type CrmDealUpdate,
  type CrmProductUpsert,
  permanent,
  type DealSnapshot,
  type Mapping,
  type OnecOrderSnapshot,
  type OnecOrderUpsert,
  type OutcomeResult,
  type SourceVersion,
  type Subjects,
} from "@concord/contracts";
import { publishJson, requestRpc, type Bus, type MappingClient } from "@concord/bus";
import { stageToStatus, type Policy } from "@concord/policy";
import { crmOrderView, onecOrderView, unitPaid, type OrderView, reconcileOrder, learnStoredForms, readPairState, recordAgreement, recordConflicts, standingStoredForms, storedFormsNote } from "@concord/reconcile";
import { projectDeal } from "./projection";
import { allLive, type DecisionModes } from "./dry-run";

export interface PairDeps {
  bus: Bus;
  subjects: Subjects;
  mapping: MappingClient;
  policy: Policy;
  /** The content hash of the deal's order command 1C refused for good (not commanded again); absent: none. */
  refusedOrder?: (dealId: string) => Promise<string | null>;
}

export interface PairResult {
  result: OutcomeResult;
  detail: string;
}

export async function readDeal(deps: PairDeps, id: string) {
  return requestRpc(deps.bus.nc, deps.subjects.rpc.crmSnapshot, { v: 1, type: "snapshot-request", entity: "deal", id }, DealSnapshotReplySchema, 30_000);
}

export async function readOnecOrder(deps: PairDeps, ref: string) {
  return requestRpc(deps.bus.nc, deps.subjects.rpc.onecSnapshot, { v: 1, type: "onec-snapshot-request", entity: "order", ref }, OnecSnapshotReplySchema, 30_000);
}

/** The 1C counterparty in CRM terms ("company:9"), through the mapping; null when unmapped. */
async function customerKey(deps: PairDeps, snapshot: OnecOrderSnapshot): Promise<string | null> {
  if (!snapshot.counterparty) return null;
  const pair = await deps.mapping.resolve({ system: "onec", entity: "counterparty", id: snapshot.counterparty.ref }, "bitrix24");
  if (!pair?.targetId) return null;
  return pair.sourceSystem === "bitrix24" ? `${pair.sourceEntity}:${pair.sourceId}` : `${pair.targetEntity}:${pair.targetId}`;
}

const ufValue = (field: string, value: unknown) => (field === "posted" ? (value ? "Y" : "N") : String(value ?? ""));

/**
 * One mapped order pair, read from both sides and decided by `reconcileOrder`: writes go only
 * where the sides differ, to the side that is not the field's master; conflicts are recorded;
 * when nothing needs writing, both views are recorded as the new sync point.
 */
export async function reconcilePair(deps: PairDeps, pair: Mapping, deal: DealSnapshot, onec: OnecOrderSnapshot, messageId: string, options: { undelete?: boolean; observedAt?: string; modes?: DecisionModes; manual?: boolean } = {}): Promise<PairResult> {
  const { bus, subjects, mapping, policy } = deps;
  // In dry-run nothing is recorded — no conflict, no sync point — and the commands are marked.
  const modes = options.modes ?? allLive;
  const readAt = new Date().toISOString();
  const crmView = crmOrderView(deal, policy.fieldMap);
  const onecView = onecOrderView(onec, await customerKey(deps, onec));
  const state = await readPairState<OrderView>(mapping, pair.id);
  const { last, learned } = learnStoredForms(state, onec.order.dataVersion, onecView);
  const decision = reconcileOrder({ crm: crmView, onec: onecView, last, policy, categoryId: deal.deal.categoryId });
  if (!modes.anyDryRun) await recordConflicts(mapping, pair.id, "order", decision.conflicts, messageId);
  const dryWrites = (Object.keys(decision.toOnec).length > 0 && modes.isDryRun("orders.crmToOnec")) || (Object.keys(decision.toCrm).length > 0 && modes.isDryRun("orders.onecToCrm"));
  if (dryWrites) await modes.confirm();

  const onecVersion: SourceVersion = { modifiedAt: deal.deal.modifiedAt, fetchedAt: readAt };
  // 1C gives no ordered version: the order is observed at the event's arrival, by the NATS
  // server's clock (MessageContext.storedAt), never by this replica's — skewed clocks must not
  // make a newer change look stale.
  const observedAt = options.observedAt ?? readAt;
  const crmVersion: SourceVersion = { modifiedAt: observedAt, fetchedAt: readAt };
  const writes: string[] = [];
  let refusedAgain: string | null = null;

  // A restored deal whose order Concord marked for deletion: the mark goes, with whatever differs.
  const undelete = options.undelete === true && onec.order.deleted;
  if (Object.keys(decision.toOnec).length > 0 || undelete) {
    const command = { ...onecOrderCommand(policy, deal, onec, decision.toOnec, decision.next.onec, onecVersion), ...(undelete ? { undelete } : {}), ...modes.field("orders.crmToOnec") };
    command.syncView = { ...command.syncView, ...standingStoredForms(last.sentToOnec, crmView, decision.next.onec) };
    // 1C refused this very content for good: a deal event that changed nothing it reads (the sync
    // status Concord writes on the deal) does not send it again; a person's resync does.
    const refused = deps.refusedOrder && !options.manual && !command.dryRun ? await deps.refusedOrder(deal.deal.id) : null;
    if (refused !== null && refused === command.contentHash) {
      refusedAgain = `1C ${Object.keys(decision.toOnec).join(", ")} not sent: 1C refused this content for good (retry the dead letter once the cause is fixed, or change the deal)`;
    } else {
      await publishJson(bus.js, subjects.command("onec", "order"), command, { msgId: commandId(command), schema: SchemaVersions.onecCommand });
      writes.push(`${modes.isDryRun("orders.crmToOnec") ? "(dry-run) " : ""}1C ${[...(undelete ? ["deletion mark removed"] : []), ...Object.keys(decision.toOnec)].join(", ")}`);
    }
  }
  if (Object.keys(decision.toCrm).length > 0) {
    const fields: Record<string, string> = {};
    for (const [field, value] of Object.entries(decision.toCrm)) {
      if (field === "lines") continue;
      if (field === "status") fields.STAGE_ID = String(value);
      else if (field === "title") fields.TITLE = String(value);
      else fields[policy.fieldMap[field as keyof Policy["fieldMap"]]] = ufValue(field, value);
    }
    const rows = "lines" in decision.toCrm ? await rowsFromOnec(deps, onec, readAt, observedAt, modes) : null;
    const command: CrmDealUpdate = {
      v: 1,
      type: "bitrix24.deal.update",
      source: { system: "onec", entity: "order", id: onec.order.ref },
      sourceVersion: crmVersion,
      issuedAt: readAt,
      dealId: deal.deal.id,
      fields,
      rows,
      syncView: decision.next.crm as unknown as Record<string, unknown>,
      markMappingDeleted: false,
      contentHash: contentHash([fields, rows]),
      ...modes.field("orders.onecToCrm"),
    };
    await publishJson(bus.js, subjects.command("bitrix24", "deal"), command, { msgId: crmCommandId(command), schema: SchemaVersions.crmCommand });
    writes.push(`${modes.isDryRun("orders.onecToCrm") ? "(dry-run) " : ""}CRM ${Object.keys(decision.toCrm).join(", ")}`);
  }
  const notes = [
    learned.length > 0 ? storedFormsNote(learned, last, onecView) : "",
    decision.conflicts.length > 0 ? `conflicts on ${decision.conflicts.map((c) => `${c.field} (won by ${c.winner})`).join(", ")}` : "",
    decision.unsupported.length > 0 ? `not synced yet: ${decision.unsupported.join(", ")}` : "",
    refusedAgain ?? "",
  ].filter(Boolean);

  // Nothing agreed: the refused difference stands, so no sync point is recorded.
  if (writes.length === 0 && refusedAgain) return { result: "skipped", detail: notes.join("; ") };
  if (writes.length === 0) {
    if (modes.anyDryRun) return { result: "echo", detail: ["both sides agree (dry-run: no sync point recorded)", ...notes].join("; ") };
    // Both sides agree: this is the new sync point for conflict detection.
    await recordAgreement(mapping, pair.id, state, { crm: crmView, onec: onecView }, { crm: crmVersion, onec: onecVersion }, last);
    return { result: "echo", detail: ["both sides agree", ...notes].join("; ") };
  }
  return { result: dryWrites ? "dry-run" : "commanded", detail: [`writes: ${writes.join("; ")}`, ...notes].join("; ") };
}

/**
 * The 1C lines as deal rows, by 1C product. Products not yet in the CRM are claimed and their
 * creation commanded first (1C is the products' master); crm-writer waits for them.
 */
async function rowsFromOnec(deps: PairDeps, onec: OnecOrderSnapshot, readAt: string, observedAt: string, modes: DecisionModes): Promise<NonNullable<CrmDealUpdate["rows"]>> {
  const rows: NonNullable<CrmDealUpdate["rows"]> = [];
  for (const line of onec.order.lines) {
    if (!line.product?.sku) throw permanent("PRODUCT_WITHOUT_SKU", `1C order ${onec.order.number}: line ${line.lineNumber} has no product with an Артикул`);
    const ref = { system: "onec" as const, entity: "product" as const, id: line.product.ref };
    const pair = await deps.mapping.resolve(ref, "bitrix24");
    if (pair?.state !== "confirmed") {
      if (!modes.isDryRun("orders.onecToCrm")) await deps.mapping.claim({ source: ref, targetSystem: "bitrix24", targetEntity: "product", createdBy: "flow" });
      const command: CrmProductUpsert = { v: 1, type: "bitrix24.product.upsert", source: ref, sourceVersion: { modifiedAt: observedAt, fetchedAt: readAt }, issuedAt: readAt, name: line.product.name, sku: line.product.sku, contentHash: contentHash([line.product.name, line.product.sku]), ...modes.field("orders.onecToCrm") };
      await publishJson(deps.bus.js, deps.subjects.command("bitrix24", "product"), command, { msgId: crmCommandId(command), schema: SchemaVersions.crmCommand });
    }
    rows.push({ product: ref, name: line.product.name, price: unitPaid(line), quantity: line.quantity });
  }
  return rows;
}

/** The whole order as 1C should hold it: CRM-owned fields from the deal, 1C-owned ones kept. */
function onecOrderCommand(
  policy: Policy,
  deal: DealSnapshot,
  onec: OnecOrderSnapshot,
  toOnec: Partial<OrderView>,
  next: OrderView,
  sourceVersion: SourceVersion,
): OnecOrderUpsert {
  const projection = projectDeal(deal, new Date(), (stage) => stageToStatus(policy, stage), policy.onecOrder);
  if (projection.kind === "skip") throw new Error(`cannot update the 1C order: ${projection.reason}`);
  const base = projection.order;
  const keepLines = !("lines" in toOnec);
  const lines = keepLines
    ? onec.order.lines.map((l) => ({ lineNumber: l.lineNumber, sku: l.product?.sku ?? "", name: l.product?.name ?? "", quantity: l.quantity, price: unitPaid(l), sum: toMoney(Number(unitPaid(l)) * l.quantity) }))
    : base.lines;
  const order = {
    ...base.order,
    status: toOnec.status ?? onec.order.status,
    comment: toOnec.title ?? onec.order.comment,
  };
  // Only what the decision changes is written; the writer merges it into what 1C holds.
  const write = (["status", "title", "customer", "lines"] as const).filter((field) => field in toOnec);
  // Bound to the 1C version it corrects: undoing a 1C edit of a CRM-owned field writes the same
  // content as the last write, and must be taken neither for an echo by the writer nor for a
  // duplicate by the stream (same source version, same content → same command id).
  const content = { order, customer: base.customer, lines, write, against: onec.order.dataVersion };
  return {
    ...base,
    sourceVersion,
    order,
    lines,
    write,
    decidedAgainst: { dataVersion: onec.order.dataVersion },
    contentHash: contentHash(content),
    syncView: next as unknown as Record<string, unknown>,
  };
}
