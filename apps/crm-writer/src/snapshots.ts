import type { Bitrix24Client } from "@concord/bitrix24-client";
import { isSyncError, type CrmCustomer, type DealSnapshotReply } from "@concord/contracts";
import type { CrmCustomerSnapshot } from "@concord/contracts";
import { toCustomer, toDealSnapshot } from "./snapshot";

/** Reads a deal with its rows, the rows' products (for SKUs) and its company or contact. */
export async function readDealSnapshot(client: Bitrix24Client, id: string, skuField: string): Promise<DealSnapshotReply> {
  const deal = await client.getDeal(id);
  const fetchedAt = new Date();
  if (!deal) return { v: 1, type: "deal-snapshot", found: false, fetchedAt: fetchedAt.toISOString() };
  let rows: Awaited<ReturnType<Bitrix24Client["getDealProductRows"]>>;
  try {
    rows = await client.getDealProductRows(id);
  } catch (error) {
    // Deleted between the two reads: the deal is gone (its delete event decides).
    if (isSyncError(error) && error.code === "B24_NOT_FOUND") return { v: 1, type: "deal-snapshot", found: false, fetchedAt: new Date().toISOString() };
    throw error;
  }
  const productIds = [...new Set(rows.map((r) => String(r.PRODUCT_ID ?? "0")).filter((p) => p !== "0"))];
  const skus = new Map<string, string | null>();
  for (const productId of productIds) {
    const product = await client.getProduct(productId);
    const sku = product?.[skuField];
    skus.set(productId, sku === null || sku === undefined || sku === "" ? null : String(sku));
  }
  let customer: CrmCustomer | null = null;
  const companyId = deal.COMPANY_ID && deal.COMPANY_ID !== "0" ? String(deal.COMPANY_ID) : null;
  const contactId = deal.CONTACT_ID && deal.CONTACT_ID !== "0" ? String(deal.CONTACT_ID) : null;
  if (companyId) {
    const company = await client.getCompany(companyId);
    if (company) customer = toCustomer("company", company);
  }
  if (!customer && contactId) {
    const contact = await client.getContact(contactId);
    if (contact) customer = toCustomer("contact", contact);
  }
  return toDealSnapshot(deal, rows, skus, customer, fetchedAt);
}

/** A company or contact with the INN/KPP of its first requisite. */
export async function readCustomerSnapshot(client: Bitrix24Client, entity: "company" | "contact", id: string): Promise<CrmCustomerSnapshot | { v: 1; type: "customer-snapshot"; found: false; fetchedAt: string }> {
  const record = entity === "company" ? await client.getCompany(id) : await client.getContact(id);
  const fetchedAt = new Date().toISOString();
  if (!record) return { v: 1, type: "customer-snapshot", found: false, fetchedAt };
  const requisites = await client.call<{ result: Array<Record<string, unknown>> }>("crm.requisite.list", {
    filter: { ENTITY_TYPE_ID: entity === "company" ? 4 : 3, ENTITY_ID: id },
    order: { ID: "ASC" },
    select: ["ID", "RQ_INN", "RQ_KPP"],
  });
  const requisite = requisites.result[0];
  return {
    v: 1,
    type: "customer-snapshot",
    found: true,
    customer: { ...toCustomer(entity, record), inn: String(requisite?.RQ_INN ?? ""), kpp: String(requisite?.RQ_KPP ?? "") },
    fetchedAt,
  };
}
