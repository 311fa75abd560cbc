import {
  ONEC_ORIGINATOR_ID,
  crmCommandId,
  decideWrite,
  describeWouldBeWrite,
  idOn,
  isSyncError,
  permanent,
  type CrmCommand,
  type DryRunMark,
  type RecordRef,
  type SourceVersion,
  type Subjects,
} from "@concord/contracts";
import { publishReplay, reportOutcome, type Bus, type FlowModes, type MappingClient } from "@concord/bus";
import type { Bitrix24Client, Bitrix24Record } from "@concord/bitrix24-client";
import type { Logger } from "@concord/telemetry";

export interface CrmDryRunDeps {
  bus: Bus;
  subjects: Subjects;
  mapping: MappingClient;
  client: Bitrix24Client;
  logger: Logger;
  modes: FlowModes;
  skuField: string;
}

type DryRunCommand = Exclude<CrmCommand, { type: "bitrix24.deal.compensate" | "bitrix24.deal.status" }>;

/**
 * crm-writer in dry-run: what a command would write to Bitrix24, computed the way the live path
 * computes it — every read, no write: no claim, no lease, no confirm, no sync state. References
 * the same dry-run would create are named by placeholders. A permanent failure is shown, not
 * dead-lettered. A command whose flow was switched live after its decision is decided again.
 */
export function createCrmDryRun(deps: CrmDryRunDeps) {
  const { mapping, client } = deps;

  async function findOne(method: string, filter: Record<string, unknown>): Promise<string | null> {
    const page = await client.call<{ result: Bitrix24Record[] }>(method, { filter, select: ["ID"], order: { ID: "ASC" }, start: -1 });
    return page.result[0] ? String(page.result[0].ID) : null;
  }

  /** The CRM id of a 1C record's confirmed pair, or a placeholder naming what the dry-run would create. */
  async function crmIdOrPlaceholder(ref: RecordRef, what: string): Promise<{ entity: string | null; id: string }> {
    const pair = await mapping.resolve(ref, "bitrix24");
    const id = pair && pair.state === "confirmed" ? idOn(pair, "bitrix24") : null;
    if (!pair || !id) return { entity: null, id: `(new ${what} for 1C ${ref.entity} ${ref.id})` };
    return { entity: pair.sourceSystem === "bitrix24" ? pair.sourceEntity : pair.targetEntity, id };
  }

  async function rowsOf(rows: ReadonlyArray<{ product: RecordRef; name: string; price: string; quantity: number }>) {
    const out = [];
    for (const row of rows) out.push({ PRODUCT_ID: (await crmIdOrPlaceholder(row.product, "CRM product")).id, PRODUCT_NAME: row.name, PRICE: Number(row.price), QUANTITY: row.quantity });
    return out;
  }

  async function wouldWrite(command: DryRunCommand): Promise<{ detail: string; target: RecordRef | null }> {
    if (command.type === "bitrix24.deal.link") {
      const deal = await client.getDeal(command.dealId);
      if (!deal) return { detail: "nothing to write: the deal no longer exists", target: null };
      if (deal.ORIGIN_ID === command.originId && deal.ORIGINATOR_ID === command.originatorId) return { detail: "nothing to write: the deal already carries the 1C Ref_Key", target: null };
      return { detail: describeWouldBeWrite(`update deal ${command.dealId}`, { ORIGINATOR_ID: command.originatorId, ORIGIN_ID: command.originId }), target: null };
    }
    if (command.type === "bitrix24.deal.update") {
      const dealRef = { system: "bitrix24" as const, entity: "deal" as const, id: command.dealId };
      const pair = await mapping.resolve(dealRef, "onec");
      if (!pair) throw permanent("NOT_MAPPED", `deal ${command.dealId} is not mapped to a 1C order`);
      const state = await mapping.getState(pair.id, "bitrix24");
      const last = state?.lastVersion ? (JSON.parse(state.lastVersion) as SourceVersion) : null;
      const decision = decideWrite({ deleted: pair.state === "deleted", lastVersion: last, lastHash: state?.lastHash ?? null }, command, false);
      if (!decision.write) return { detail: `nothing to write (${decision.result}: ${decision.detail})`, target: dealRef };
      const deal = await client.getDeal(command.dealId);
      if (!deal) return { detail: "nothing to write: the deal no longer exists", target: dealRef };
      const unchanged = !command.rows && Object.entries(command.fields).every(([field, value]) => String(deal[field] ?? "") === value);
      if (unchanged && !command.markMappingDeleted) return { detail: "nothing to write: the deal already holds these values", target: dealRef };
      const body = { ...command.fields, ...(command.rows ? { rows: await rowsOf(command.rows) } : {}) };
      return { detail: describeWouldBeWrite(`update deal ${command.dealId}${command.markMappingDeleted ? ", then mark the mapping deleted" : ""}`, body), target: dealRef };
    }
    const pair = await mapping.resolve(command.source, "bitrix24");
    if (pair?.state === "deleted") return { detail: "nothing to write: the pair was deleted", target: null };
    const existing = pair ? idOn(pair, "bitrix24") : null;
    if (command.type === "bitrix24.customer.upsert") {
      const method = `crm.${command.entity}`;
      const requisite = command.requisite ? { requisite: { RQ_INN: command.requisite.inn, RQ_KPP: command.requisite.kpp } } : {};
      const target = (id: string) => ({ system: "bitrix24" as const, entity: command.entity, id });
      if (existing) return { detail: describeWouldBeWrite(`update ${command.entity} ${existing}`, { ...command.fields, ...requisite }), target: target(existing) };
      const found = await findOne(`${method}.list`, { ORIGINATOR_ID: ONEC_ORIGINATOR_ID, ORIGIN_ID: command.source.id });
      if (found) return { detail: describeWouldBeWrite(`link ${command.entity} ${found} (found by its inverse id) and update it`, { ...command.fields, ...requisite }), target: target(found) };
      return { detail: describeWouldBeWrite(`create ${command.entity}`, { ...command.fields, ORIGINATOR_ID: ONEC_ORIGINATOR_ID, ORIGIN_ID: command.source.id, ...requisite }), target: null };
    }
    if (command.type === "bitrix24.product.upsert") {
      const target = (id: string) => ({ system: "bitrix24" as const, entity: "product" as const, id });
      if (existing) return { detail: describeWouldBeWrite(`update product ${existing}`, { NAME: command.name }), target: target(existing) };
      const found = await findOne("crm.product.list", { [deps.skuField]: command.sku });
      if (found) return { detail: `would link product ${found} (found by its SKU ${command.sku}); nothing written to it`, target: target(found) };
      return { detail: describeWouldBeWrite("create product", { NAME: command.name, [deps.skuField]: command.sku }), target: null };
    }
    if (existing) return { detail: `nothing to write: deal ${existing} already mirrors this 1C order`, target: null };
    const customer = await crmIdOrPlaceholder(command.customer, "company or contact");
    const found = await findOne("crm.deal.list", { ORIGINATOR_ID: ONEC_ORIGINATOR_ID, ORIGIN_ID: command.source.id });
    const rows = await rowsOf(command.rows);
    if (found) return { detail: describeWouldBeWrite(`link deal ${found} (found by its inverse id) and set its rows`, { rows }), target: { system: "bitrix24", entity: "deal", id: found } };
    const customerField = customer.entity === "contact" ? "CONTACT_ID" : "COMPANY_ID";
    return { detail: describeWouldBeWrite("create deal", { ...command.fields, [customerField]: customer.id, ORIGINATOR_ID: ONEC_ORIGINATOR_ID, ORIGIN_ID: command.source.id, rows }), target: null };
  }

  return async function reportDryRun(command: DryRunCommand, mark: DryRunMark, attempts: number): Promise<void> {
    const started = Date.now();
    let result: { detail: string; target: RecordRef | null };
    try {
      result = await wouldWrite(command);
    } catch (error) {
      if (!(isSyncError(error) && error.kind === "permanent")) throw error;
      result = { detail: `would fail: ${error.code}: ${error.message}`, target: null };
    }
    const subject: RecordRef = "dealId" in command ? { system: "bitrix24", entity: "deal", id: command.dealId } : command.source;
    const target = "dealId" in command ? (command.type === "bitrix24.deal.link" ? { system: "onec" as const, entity: "order" as const, id: command.originId } : command.source) : result.target;
    const outcome = { stage: "crm-writer" as const, messageId: crmCommandId(command), subject, target, attempts };
    // Checked last, right before the report: a switch to live after the decision decides it again, live.
    const switched = await deps.modes.switchedLiveSince(mark);
    if (switched) {
      await publishReplay(deps.bus.js, deps.subjects, mark.origin, mark.action, switched.since);
      await reportOutcome(deps.bus.js, deps.subjects, { ...outcome, result: "skipped", detail: `decided in dry-run; ${mark.flow} is live since ${switched.since}: not written, decided again live`, durationMs: Date.now() - started }, deps.logger);
      return;
    }
    const wrote = result.detail.startsWith("would ");
    await reportOutcome(deps.bus.js, deps.subjects, { ...outcome, result: wrote ? "dry-run" : "skipped", detail: `dry-run (${mark.flow}): ${result.detail}`, durationMs: Date.now() - started }, deps.logger);
  };
}
