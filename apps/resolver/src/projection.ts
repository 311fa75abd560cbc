import {
  contentHash,
  permanent,
  toMoney,
  type DealSnapshot,
  type OnecCounterpartyUpsert,
  type OnecOrderUpsert,
  type RecordRef,
} from "@concord/contracts";

export type DealProjection =
  | { kind: "skip"; reason: string }
  | { kind: "commands"; customer: OnecCounterpartyUpsert; order: OnecOrderUpsert };

/**
 * Projects a deal snapshot onto the 1C counterparty and order it should become. Pure: the
 * hashes cover exactly the projected fields, so a deal change that does not touch them (our
 * own ORIGIN_ID write-back, say) projects to the same hashes and is recognised as an echo.
 */
export function projectDeal(snapshot: DealSnapshot, now: Date, toStatus: (stageId: string) => string): DealProjection {
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
  const lines = snapshot.rows.map((row, i) => ({
    lineNumber: i + 1,
    sku: row.sku as string,
    name: row.name,
    quantity: row.quantity,
    price: row.price,
    sum: toMoney(Number(row.price) * row.quantity),
  }));
  const order = { status, currency: deal.currency, amount: deal.amount, comment: deal.title };

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
