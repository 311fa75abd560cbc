import { toMoney, type DealSnapshot, type OnecOrderSnapshot } from "@concord/contracts";

/**
 * An order as one side shows it, field by field, in that side's own terms (a CRM stage on the
 * CRM side, a 1C Статус on the 1C side). Lines and customer use neutral forms so the two sides
 * can be compared: lines as "sku×qty@price" text, the customer as the CRM record key
 * ("company:9"; the 1C counterparty translated through the mapping, null when unmapped).
 */
export interface OrderView {
  title: string;
  status: string;
  customer: string | null;
  lines: string;
  number: string | null;
  posted: boolean | null;
  paymentState: string | null;
  shipmentState: string | null;
}

export const orderFields = ["title", "status", "customer", "lines", "number", "posted", "paymentState", "shipmentState"] as const;
export type OrderField = (typeof orderFields)[number];

/** Where the 1C-owned values live on the deal (policy `fieldMap`). */
export interface DealFieldMap {
  number: string;
  posted: string;
  paymentState: string;
  shipmentState: string;
}

const linesText = (lines: Array<{ sku: string | null; quantity: number; price: string }>) =>
  lines.map((l) => `${l.sku ?? "?"}×${l.quantity}@${Number(l.price).toFixed(2)}`).join(";");

const orNull = (v: string | null | undefined) => (v === undefined || v === null || v === "" ? null : v);

export function crmOrderView(snapshot: DealSnapshot, fieldMap: DealFieldMap): OrderView {
  const uf = snapshot.deal.userFields ?? {};
  const customer = snapshot.customer ? `${snapshot.customer.kind}:${snapshot.customer.id}` : null;
  const posted = orNull(uf[fieldMap.posted]);
  return {
    title: snapshot.deal.title,
    status: snapshot.deal.stageId,
    customer,
    lines: linesText(snapshot.rows),
    number: orNull(uf[fieldMap.number]),
    posted: posted === null ? null : posted === "Y" || posted === "1" || posted === "true",
    paymentState: orNull(uf[fieldMap.paymentState]),
    shipmentState: orNull(uf[fieldMap.shipmentState]),
  };
}

type OnecLine = OnecOrderSnapshot["order"]["lines"][number];

/**
 * What the customer pays per unit on a 1C line, VAT included: the terms in which a deal row's
 * PRICE is stated (1C keeps list price, manual discount and VAT apart; compare the result).
 */
export function unitPaid(line: OnecLine): string {
  const total = Number(line.total ?? line.sum);
  return toMoney(line.quantity > 0 ? total / line.quantity : Number(line.price));
}

export function onecOrderView(snapshot: OnecOrderSnapshot, customer: string | null): OrderView {
  const { order } = snapshot;
  return {
    title: order.comment,
    status: order.status,
    customer,
    lines: linesText(order.lines.map((l) => ({ sku: l.product?.sku ?? null, quantity: l.quantity, price: unitPaid(l) }))),
    number: orNull(order.number),
    posted: order.posted,
    paymentState: orNull(order.paymentState),
    shipmentState: orNull(order.shipmentState),
  };
}
