import { hostname } from "node:os";
import {
  recheckEvent,
  HeldForDecision,
  ONEC_ORIGINATOR_ID,
  permanent,
  crmCommandId,
  idOn,
  linkedToExisting,
  retryable,
  type CrmCustomerUpsert,
  type CrmDealCreate,
  type CrmProductUpsert,
  type Mapping,
  type OutcomeResult,
  type Subjects,
} from "@concord/contracts";
import { publishChange, reportOutcome, type Bus, type MappingClient, type StateStore } from "@concord/bus";
import { matchedBy } from "@concord/policy";
import { createCustomerMatcher } from "./matching";
import type { Bitrix24Client, Bitrix24Record } from "@concord/bitrix24-client";
import type { Logger } from "@concord/telemetry";

export interface MirrorDeps {
  bus: Bus;
  subjects: Subjects;
  mapping: MappingClient;
  client: Bitrix24Client;
  logger: Logger;
  leaseTtlMs: number;
  skuField: string;
  /** Where crm-writer keeps the sync status it wrote per deal (`syncstatus.written.<id>`). */
  state?: StateStore;
}

type MirrorCommand = CrmCustomerUpsert | CrmProductUpsert | CrmDealCreate;

/**
 * Creates (or finds) the CRM records that mirror records born in 1C — a customer, a product,
 * a deal — with the same no-duplicate machinery as the other direction: claim, lease,
 * find-before-create by the inverse id (ORIGIN_ID = Ref_Key; a product by its SKU), confirm.
 */
export function createOnecMirror(deps: MirrorDeps) {
  const { bus, subjects, mapping, client, logger } = deps;
  const owner = `crm-writer:${hostname()}:${process.pid}`;
  const matchCustomer = createCustomerMatcher(client, mapping);

  async function findOne(method: string, filter: Record<string, unknown>): Promise<string | null> {
    const page = await client.call<{ result: Bitrix24Record[] }>(method, { filter, select: ["ID"], order: { ID: "ASC" }, start: -1 });
    return page.result[0] ? String(page.result[0].ID) : null;
  }

  /** The CRM id of a 1C record's confirmed pair, or a retryable "not yet" (references first). */
  async function crmIdOf(ref: { system: "onec"; entity: "counterparty" | "product"; id: string }): Promise<{ entity: string; id: string }> {
    const pair = await mapping.resolve(ref, "bitrix24");
    const id = pair && pair.state === "confirmed" ? idOn(pair, "bitrix24") : null;
    if (!id && pair?.decision === "awaiting") throw HeldForDecision.awaiting(`held: its ${ref.entity} ${ref.id}`);
    if (!id && pair?.decision === "ignore") throw new CustomerIgnored(`its ${ref.entity} ${ref.id} is not synced (a person decided to ignore it)`);
    if (!pair || !id) throw retryable("REFERENCE_NOT_READY", `${ref.entity} ${ref.id} has no CRM counterpart yet`, { retryAfterMs: 1_000 });
    return { entity: pair.sourceSystem === "bitrix24" ? pair.sourceEntity : pair.targetEntity, id };
  }

  /** Multi-fields append items without ID on update: change the first existing item instead. */
  async function replaceMultiFields(method: string, id: string, fields: Record<string, unknown>): Promise<Record<string, unknown>> {
    const multi = ["EMAIL", "PHONE"].filter((k) => Array.isArray(fields[k]));
    if (multi.length === 0) return fields;
    const current = (await client.result<Bitrix24Record>(`${method}.get`, { id })) ?? {};
    const out = { ...fields };
    for (const key of multi) {
      const existing = Array.isArray(current[key]) ? (current[key] as Array<{ ID: string }>) : [];
      const next = (fields[key] as Array<{ VALUE: string; VALUE_TYPE: string }>)[0];
      if (!next) out[key] = existing[0] ? [{ ID: existing[0].ID, DELETE: "Y" }] : [];
      else out[key] = existing[0] ? [{ ID: existing[0].ID, VALUE: next.VALUE }] : [next];
    }
    return out;
  }

  /**
   * Links an existing company or contact found by business keys (or chosen by a person): the pair
   * is confirmed to it and it carries the counterparty's Ref_Key as its origin; its fields are
   * then reconciled by the customer pair under the ownership rules (a recheck of the 1C record).
   */
  async function linkCustomer(command: CrmCustomerUpsert, pair: Mapping, id: string, createdBy: string): Promise<{ id: string; created: boolean; detail: string }> {
    const method = `crm.${command.entity}`;
    const current = await client.result<Bitrix24Record>(`${method}.get`, { id });
    if (!current) throw permanent("TARGET_GONE", `${command.entity} ${id} (${createdBy}) no longer exists in Bitrix24`);
    await mapping.confirm(pair.id, id, undefined, createdBy);
    if (current.ORIGIN_ID !== command.source.id) await client.call(`${method}.update`, { id, fields: { ORIGINATOR_ID: ONEC_ORIGINATOR_ID, ORIGIN_ID: command.source.id } });
    await publishChange(bus.js, subjects, recheckEvent(command.source, `linked@${pair.id}`));
    return { id, created: false, detail: `linked to existing ${command.entity} ${id} (${createdBy})` };
  }

  async function upsertCustomer(command: CrmCustomerUpsert, pair: Mapping): Promise<{ id: string; created: boolean; detail?: string }> {
    const method = `crm.${command.entity}`;
    let id = idOn(pair, "bitrix24");
    let created = false;
    // A create command (no sync view) for a customer linked meanwhile — its CRM record's own first
    // deal claimed the identity at the same moment and linked it — writes nothing: the pair's
    // reconcile keeps its fields under the ownership rules.
    if (id && !command.syncView) {
      // A link made from this side may have been cut short after its confirm (a crash, a lost
      // lease): linking again is idempotent and finishes it (ORIGIN_ID, the pair's recheck).
      if (linkedToExisting(pair) && pair.sourceSystem === "onec") return linkCustomer(command, pair, id, pair.createdBy);
      return { id, created: false, detail: `${command.entity} ${id} is linked already (mapping ${pair.id}, ${pair.createdBy}); its pair's reconcile keeps its fields` };
    }
    if (id) {
      if (Object.keys(command.fields).length > 0) await client.call(`${method}.update`, { id, fields: await replaceMultiFields(method, id, command.fields) });
    } else {
      const whose = `1C counterparty ${command.source.id}`;
      if (pair.decision === "awaiting") throw HeldForDecision.awaiting(`${whose} (between existing CRM records)`);
      if (pair.decision === "link" && pair.decisionTarget) return linkCustomer(command, pair, pair.decisionTarget, "decision");
      const found = await findOne(`${method}.list`, { ORIGINATOR_ID: ONEC_ORIGINATOR_ID, ORIGIN_ID: command.source.id });
      // Business keys before a create; Concord's own marker (a create cut before its confirm) comes first.
      if (!found && pair.decision === null && command.match && command.match.lookups.length > 0) {
        const match = await matchCustomer(command.entity, command.match, command.source, pair.id);
        if (match.kind === "one") return linkCustomer(command, pair, match.id, matchedBy(match.keys));
        if (match.kind === "ambiguous") {
          const decision = await mapping.openDecision(pair.id, command.match.summary, match.reason, match.candidates);
          throw new HeldForDecision(decision.id, `${command.match.summary}: ${match.reason}; waits for decision ${decision.id} (concord decisions list)`);
        }
      }
      id = found ?? String(await client.result<number>(`${method}.add`, { fields: { ...command.fields, ORIGINATOR_ID: ONEC_ORIGINATOR_ID, ORIGIN_ID: command.source.id } }));
      created = found === null;
    }
    if (command.requisite) {
      const entityTypeId = command.entity === "company" ? 4 : 3;
      const requisite = await findOne("crm.requisite.list", { ENTITY_TYPE_ID: entityTypeId, ENTITY_ID: id });
      const fields = { RQ_INN: command.requisite.inn, RQ_KPP: command.requisite.kpp };
      if (requisite) await client.call("crm.requisite.update", { id: requisite, fields });
      else await client.call("crm.requisite.add", { fields: { ...fields, NAME: "1C", ENTITY_TYPE_ID: entityTypeId, ENTITY_ID: id, PRESET_ID: command.entity === "company" ? 1 : 3 } });
    }
    if (pair.state !== "confirmed") await mapping.confirm(pair.id, id);
    if (command.syncView) {
      const state = await mapping.getState(pair.id, "bitrix24");
      await mapping.recordState(pair.id, "bitrix24", JSON.stringify(command.sourceVersion), command.contentHash, state?.lastHash ?? null, command.syncView);
    }
    return { id, created };
  }

  async function createProduct(command: CrmProductUpsert, pair: Mapping): Promise<{ id: string; created: boolean }> {
    const existing = idOn(pair, "bitrix24");
    if (existing) {
      await client.call("crm.product.update", { id: existing, fields: { NAME: command.name } });
      return { id: existing, created: false };
    }
    const found = await findOne("crm.product.list", { [deps.skuField]: command.sku });
    const id = found ?? String(await client.result<number>("crm.product.add", { fields: { NAME: command.name, [deps.skuField]: command.sku } }));
    await mapping.confirm(pair.id, id);
    return { id, created: found === null };
  }

  async function createDeal(command: CrmDealCreate, pair: Mapping): Promise<{ id: string; created: boolean }> {
    const existing = idOn(pair, "bitrix24");
    if (existing) return { id: existing, created: false };
    const customer = await crmIdOf({ system: "onec", entity: "counterparty", id: command.customer.id });
    const rows = [];
    for (const row of command.rows) {
      const product = await crmIdOf({ system: "onec", entity: "product", id: row.product.id });
      rows.push({ PRODUCT_ID: Number(product.id), PRODUCT_NAME: row.name, PRICE: Number(row.price), QUANTITY: row.quantity });
    }
    const found = await findOne("crm.deal.list", { ORIGINATOR_ID: ONEC_ORIGINATOR_ID, ORIGIN_ID: command.source.id });
    const customerField = customer.entity === "contact" ? "CONTACT_ID" : "COMPANY_ID";
    const id =
      found ?? String(await client.result<number>("crm.deal.add", { fields: { ...command.fields, ...(command.syncStatus ? { [command.syncStatus.field]: command.syncStatus.text } : {}), [customerField]: customer.id, ORIGINATOR_ID: ONEC_ORIGINATOR_ID, ORIGIN_ID: command.source.id } }));
    // The status it was born with is what crm-writer wrote: the same text commanded later writes nothing.
    if (found === null && command.syncStatus && deps.state) {
      const written = { text: command.syncStatus.text, at: command.issuedAt, messageId: crmCommandId(command), done: true, commented: false };
      await deps.state.compareAndSet(`syncstatus.written.${id}`, written, null).catch(() => false);
    }
    // Rows before the confirm: a deal found again after a crash gets them (again) too.
    await client.call("crm.deal.productrows.set", { id, rows });
    await mapping.confirm(pair.id, id);
    await mapping.recordState(pair.id, "bitrix24", JSON.stringify(command.sourceVersion), command.contentHash, null, command.syncView);
    return { id, created: found === null };
  }

  return async function apply(command: MirrorCommand, attempts: number): Promise<void> {
    const started = Date.now();
    const targetEntity = command.type === "bitrix24.customer.upsert" ? command.entity : command.type === "bitrix24.product.upsert" ? "product" : "deal";
    const { mapping: claimed } = await mapping.claim({ source: command.source, targetSystem: "bitrix24", targetEntity, createdBy: "flow" });
    const report = (result: OutcomeResult, detail: string, id: string | null) =>
      reportOutcome(
        bus.js,
        subjects,
        { stage: "crm-writer", messageId: crmCommandId(command), subject: command.source, target: id ? { system: "bitrix24", entity: targetEntity, id } : null, result, detail, attempts, durationMs: Date.now() - started },
        logger,
      );
    await mapping.withLease(claimed, owner, deps.leaseTtlMs, async () => {
      const pair = (await mapping.resolve(command.source, "bitrix24")) ?? claimed;
      if (pair.state === "deleted") {
        await report("skipped", "the pair was deleted", idOn(pair, "bitrix24"));
        return;
      }
      if (idOn(pair, "bitrix24") === null && pair.decision === "ignore") {
        await report("skipped", "not synced: a person decided to ignore this record's match", null);
        return;
      }
      let done: { id: string; created: boolean; detail?: string };
      try {
        done =
          command.type === "bitrix24.customer.upsert"
            ? await upsertCustomer(command, pair)
            : command.type === "bitrix24.product.upsert"
              ? await createProduct(command, pair)
              : await createDeal(command, pair);
      } catch (error) {
        if (!(error instanceof CustomerIgnored)) throw error;
        await report("skipped", `deal not created: ${error.message}`, null);
        return;
      }
      await report(done.created ? "created" : "applied", done.detail ?? `${targetEntity} ${done.created ? "created" : "found or updated"} for 1C ${command.source.entity} ${command.source.id}`, done.id);
    });
  };
}

/** A deal whose customer a person decided not to sync: skipped, not failed. */
class CustomerIgnored extends Error {}
