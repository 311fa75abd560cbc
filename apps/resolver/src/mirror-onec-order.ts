import {
  SchemaVersions,
  contentHash,
  crmCommandId,
  permanent,
  retryable,
  type CrmCommand,
  type CrmCustomerUpsert,
  type CrmDealCreate,
  type CrmProductUpsert,
  type OnecOrderSnapshot,
  type RecordRef,
  type SourceVersion,
} from "@concord/contracts";
import { publishJson } from "@concord/bus";
import { customerKind, customerSummary, matchRequest, statusToStage } from "@concord/policy";
import type { ResolverDeps } from "./resolve-deal";
import { unitPaid } from "@concord/reconcile";
import { allLive, type DecisionModes } from "./dry-run";
import { statusText } from "./sync-status";

/**
 * An order a manager created in 1C becomes a deal: references first — its counterparty becomes
 * a company (or contact), its products CRM products — each claimed before any create, then the
 * deal. The writers find-before-create by the inverse id, so repeats create nothing twice.
 */
/**
 * One claim per identity, whichever direction asks first: a counterparty Concord is creating
 * from a CRM customer (its marker names the customer, whose claim is not confirmed yet) is that
 * customer, not a new one. The marker counts only while the mapping agrees.
 */
async function waitForClaimFromCrm(deps: ResolverDeps, counterparty: NonNullable<OnecOrderSnapshot["counterparty"]>): Promise<void> {
  const marker = counterparty.concordId?.match(/^concord:bitrix24:(company|contact):(\d+)$/);
  if (!marker) return;
  const fromCrm = await deps.mapping.resolve({ system: "bitrix24", entity: marker[1] as "company" | "contact", id: marker[2] as string }, "onec");
  if (fromCrm && fromCrm.state === "claimed") {
    throw retryable("IDENTITY_CLAIMED", `counterparty ${counterparty.ref} is being created from CRM ${marker[1]} ${marker[2]}; its pair is not confirmed yet`, { retryAfterMs: 2_000 });
  }
}

export async function mirrorOnecOrder(deps: ResolverDeps, snapshot: OnecOrderSnapshot, modes: DecisionModes = allLive): Promise<string> {
  const { bus, subjects, mapping, policy } = deps;
  const { order, counterparty } = snapshot;
  if (!counterparty) return "skipped: the 1C order has no counterparty yet";
  if (order.lines.length === 0) return "skipped: the 1C order has no lines yet";
  const broken = order.lines.filter((l) => !l.product || !l.product.sku);
  if (broken.length > 0) throw permanent("PRODUCT_WITHOUT_SKU", `1C order ${order.number}: lines ${broken.map((l) => l.lineNumber).join(", ")} have no product with an Артикул`);

  // In dry-run nothing is claimed: the writers report what they would create.
  const dryRun = modes.isDryRun("orders.onecToCrm");
  if (dryRun) await modes.confirm();
  const claim = async (request: Parameters<typeof mapping.claim>[0]) => {
    if (!dryRun) await mapping.claim(request);
  };
  const version: SourceVersion = { modifiedAt: snapshot.fetchedAt, fetchedAt: snapshot.fetchedAt };
  const base = { v: 1 as const, sourceVersion: version, issuedAt: new Date().toISOString(), ...modes.field("orders.onecToCrm") };
  const publish = (command: CrmCommand, entity: "company" | "product" | "deal") =>
    publishJson(bus.js, subjects.command("bitrix24", entity), command, { msgId: crmCommandId(command), schema: SchemaVersions.crmCommand });

  const customerRef: RecordRef = { system: "onec", entity: "counterparty", id: counterparty.ref };
  const customerPair = await mapping.resolve(customerRef, "bitrix24");
  if (customerPair?.state !== "confirmed") await waitForClaimFromCrm(deps, counterparty);
  if (customerPair?.state !== "confirmed") {
    const entity = counterparty.kind === "ФизЛицо" ? "contact" : "company";
    await claim({ source: customerRef, targetSystem: "bitrix24", targetEntity: entity, createdBy: "flow" });
    const multi = (value: string | null) => (value ? [{ VALUE: value, VALUE_TYPE: "WORK" }] : undefined);
    const fields = { [entity === "company" ? "TITLE" : "NAME"]: counterparty.name, EMAIL: multi(counterparty.email), PHONE: multi(counterparty.phone) };
    const requisite = counterparty.inn ? { inn: counterparty.inn, kpp: counterparty.kpp } : null;
    // Business keys the writer looks for before creating a company or contact (none once a person decided).
    const keys = { kind: customerKind("counterparty", counterparty.inn, counterparty.kpp, counterparty.kind), inn: counterparty.inn, kpp: counterparty.kpp, email: counterparty.email, phone: counterparty.phone };
    const match = customerPair?.decision ? null : matchRequest(policy.matching, keys, customerSummary(`1C counterparty ${counterparty.ref}`, counterparty.name, keys));
    const command: CrmCustomerUpsert = {
      ...base,
      type: "bitrix24.customer.upsert",
      source: customerRef,
      entity,
      fields,
      requisite,
      contentHash: contentHash([entity, fields, requisite]),
      ...(match && match.lookups.length > 0 ? { match } : {}),
    };
    await publish(command, "company");
  }

  const products = new Map(order.lines.map((l) => [l.product!.ref, l.product!]));
  for (const product of products.values()) {
    const ref: RecordRef = { system: "onec", entity: "product", id: product.ref };
    const pair = await mapping.resolve(ref, "bitrix24");
    if (pair?.state === "confirmed") continue;
    await claim({ source: ref, targetSystem: "bitrix24", targetEntity: "product", createdBy: "flow" });
    const command: CrmProductUpsert = { ...base, type: "bitrix24.product.upsert", source: ref, name: product.name, sku: product.sku, contentHash: contentHash([product.name, product.sku]) };
    await publish(command, "product");
  }

  const orderRef: RecordRef = { system: "onec", entity: "order", id: order.ref };
  await claim({ source: orderRef, targetSystem: "bitrix24", targetEntity: "deal", createdBy: "flow" });
  const stage = statusToStage(policy, order.status, "0");
  const fields: Record<string, string> = {
    TITLE: order.comment || `Заказ ${order.number}`,
    STAGE_ID: stage,
    [policy.fieldMap.number]: order.number,
    [policy.fieldMap.posted]: order.posted ? "Y" : "N",
    ...(order.paymentState ? { [policy.fieldMap.paymentState]: order.paymentState } : {}),
    ...(order.shipmentState ? { [policy.fieldMap.shipmentState]: order.shipmentState } : {}),
  };
  const rows = order.lines.map((l) => ({ product: { system: "onec" as const, entity: "product" as const, id: l.product!.ref }, name: l.product!.name, price: unitPaid(l), quantity: l.quantity }));
  const syncView = { title: fields.TITLE, status: stage, customer: null, lines: "", number: order.number, posted: order.posted, paymentState: order.paymentState, shipmentState: order.shipmentState };
  // A deal born in 1C shows its order number from the start (no status write of its own later).
  const syncStatus = policy.syncStatus ? { field: policy.syncStatus.field, text: statusText({ kind: "ok", number: order.number || null }, policy.syncStatus) } : undefined;
  const command: CrmDealCreate = { ...base, type: "bitrix24.deal.create", source: orderRef, customer: customerRef, fields, rows, syncView, contentHash: contentHash([fields, rows]), ...(syncStatus ? { syncStatus } : {}) };
  await publish(command, "deal");
  return `commanded: deal for 1C order ${order.number} with ${rows.length} rows (customer and products first)`;
}
