import { toMoney, type CrmCustomer, type DealSnapshot } from "@concord/contracts";
import type { Bitrix24Record } from "@concord/bitrix24-client";

const str = (v: unknown): string | null => (v === null || v === undefined || v === "" ? null : String(v));
/** Bitrix24 sends "0" or null for "no company" / "no contact". */
const refId = (v: unknown): string | null => {
  const s = str(v);
  return s === null || s === "0" ? null : s;
};

function firstMulti(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  const item = value.find((v) => v && typeof v === "object" && str((v as Record<string, unknown>).VALUE));
  return item ? String((item as Record<string, unknown>).VALUE) : null;
}

export function toCustomer(kind: "company" | "contact", record: Bitrix24Record): CrmCustomer {
  const name =
    kind === "company"
      ? String(record.TITLE ?? "")
      : [record.LAST_NAME, record.NAME, record.SECOND_NAME].map(str).filter(Boolean).join(" ");
  return {
    kind,
    id: String(record.ID),
    name: name || `${kind} ${String(record.ID)}`,
    email: firstMulti(record.EMAIL),
    phone: firstMulti(record.PHONE),
    modifiedAt: str(record.DATE_MODIFY),
    originatorId: str(record.ORIGINATOR_ID),
    originId: str(record.ORIGIN_ID),
  };
}

/**
 * The deal as the resolver needs it: string-typed Bitrix24 values normalised (money as 2-digit
 * text, "0" ids as null) and each product row's SKU looked up from the product catalogue.
 */
export function toDealSnapshot(
  deal: Bitrix24Record,
  rows: Bitrix24Record[],
  skuByProductId: ReadonlyMap<string, string | null>,
  customer: CrmCustomer | null,
  fetchedAt: Date,
): DealSnapshot {
  return {
    v: 1,
    type: "deal-snapshot",
    found: true,
    deal: {
      id: String(deal.ID),
      title: String(deal.TITLE ?? ""),
      stageId: String(deal.STAGE_ID ?? "NEW"),
      currency: String(deal.CURRENCY_ID ?? "RUB"),
      amount: toMoney(deal.OPPORTUNITY as string | number | null),
      comments: str(deal.COMMENTS),
      companyId: refId(deal.COMPANY_ID),
      contactId: refId(deal.CONTACT_ID),
      originatorId: str(deal.ORIGINATOR_ID),
      originId: str(deal.ORIGIN_ID),
      modifiedAt: String(deal.DATE_MODIFY ?? deal.DATE_CREATE ?? fetchedAt.toISOString()),
      categoryId: String(deal.CATEGORY_ID ?? "0"),
      userFields: Object.fromEntries(Object.entries(deal).filter(([k]) => k.startsWith("UF_CRM_")).map(([k, v]) => [k, str(v)])),
    },
    rows: rows.map((row) => {
      const productId = String(row.PRODUCT_ID ?? "0");
      return {
        productId,
        name: String(row.PRODUCT_NAME ?? ""),
        sku: productId === "0" ? null : (skuByProductId.get(productId) ?? null),
        price: toMoney(row.PRICE as string | number),
        quantity: Number(row.QUANTITY ?? 0),
        listPrice: toMoney((row.PRICE_BRUTTO ?? row.PRICE) as string | number),
        taxRate: row.TAX_RATE === null || row.TAX_RATE === undefined || row.TAX_RATE === "" ? null : Number(row.TAX_RATE),
      };
    }),
    customer,
    fetchedAt: fetchedAt.toISOString(),
  };
}
