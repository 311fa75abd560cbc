import {
  contentHash,
  permanent,
  toMoney,
  type DealSnapshot,
  type OnecCounterpartyUpsert,
  type OnecOrderUpsert,
  type RecordRef,
  VAT_RATES,
} from "@concord/contracts";
import type { OnecOrderDefaults } from "@concord/policy";

export type DealProjection =
  | { kind: "skip"; reason: string }
  | { kind: "commands"; customer: OnecCounterpartyUpsert; order: OnecOrderUpsert };

/**
 * Projects a deal snapshot onto the 1C counterparty and order it should become. Pure: the
 * hashes cover exactly the projected fields, so a deal change that does not touch them (our
 * own ORIGIN_ID write-back, say) projects to the same hashes and is recognised as an echo.
 */
/** The 1C СтавкаНДС for a Bitrix24 row's TAX_RATE; null when the row has none (the install's default applies). */
export function vatRateOf(taxRate: number | null | undefined): string | null {
  if (taxRate === null || taxRate === undefined) return null;
  const rate = Object.entries(VAT_RATES).find(([name, percent]) => percent === taxRate && name !== "БезНДС");
  if (!rate) throw permanent("VAT_RATE_UNMAPPED", `a deal row has a tax rate of ${taxRate}%, which has no 1C СтавкаНДС (${Object.keys(VAT_RATES).join(", ")})`);
  return rate[0];
}

export function projectDeal(snapshot: DealSnapshot, now: Date, toStatus: (stageId: string) => string, orderDefaults?: OnecOrderDefaults): DealProjection {
  const { deal, customer } = snapshot;
  // Not errors: the deal is still being filled in, and its next change will bring us back.
  if (!customer) return { kind: "skip", reason: "deal has no company or contact yet" };
  if (snapshot.rows.length === 0) return { kind: "skip", reason: "deal has no product rows yet" };

  const freeRows = snapshot.rows.filter((r) => !r.sku);
  if (freeRows.length > 0) {
    throw permanent("PRODUCT_WITHOUT_SKU", `rows without a catalogue product or SKU cannot become 1C lines: ${freeRows.map((r) => r.name).join(", ")}`);
  }
  const status = toStatus(deal.stageId);
  const sourceVersion = { modifiedAt: deal.modifiedAt, fetchedAt: snapshot.fetchedAt };
  const issuedAt = now.toISOString();

  const customerRef: RecordRef = { system: "bitrix24", entity: customer.kind, id: customer.id };
  const counterparty = {
    name: customer.name,
    kind: customer.kind === "company" ? ("ЮрЛицо" as const) : ("ФизЛицо" as const),
    email: customer.email,
    phone: customer.phone,
  };
  // Discounts and taxes travel with each row, so the 1C total equals the deal's amount.
  const lines = snapshot.rows.map((row, i) => ({
    lineNumber: i + 1,
    sku: row.sku as string,
    name: row.name,
    quantity: row.quantity,
    price: row.price,
    ...(row.listPrice !== undefined && row.listPrice !== row.price ? { listPrice: row.listPrice } : {}),
    ...(row.taxRate !== undefined && row.taxRate !== null ? { vatRate: vatRateOf(row.taxRate) } : {}),
    sum: toMoney(Number(row.price) * row.quantity),
  }));
  const order = {
    status,
    currency: deal.currency,
    amount: deal.amount,
    comment: deal.title,
    ...(orderDefaults ? { header: { ...orderDefaults } } : {}),
  };

  return {
    kind: "commands",
    customer: {
      v: 1,
      type: "onec.counterparty.upsert",
      source: customerRef,
      sourceVersion: { modifiedAt: customer.modifiedAt ?? deal.modifiedAt, fetchedAt: snapshot.fetchedAt },
      issuedAt,
      counterparty,
      contentHash: contentHash(counterparty),
      // What the counterparty Concord creates stands for (the resolver's customer view): 1C's
      // answer to the create becomes the echo reference of each value, a name it cuts included.
      syncView: { name: counterparty.name, inn: "", kpp: "", kind: counterparty.kind, email: counterparty.email, phone: counterparty.phone },
    },
    order: {
      v: 1,
      type: "onec.order.upsert",
      source: { system: "bitrix24", entity: "deal", id: deal.id },
      sourceVersion,
      issuedAt,
      customer: customerRef,
      order,
      lines,
      contentHash: contentHash({ order, customer: customerRef, lines }),
    },
  };
}
