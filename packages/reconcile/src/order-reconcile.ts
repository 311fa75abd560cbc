import { isSyncError } from "@concord/contracts";
import { masterOf, stageToStatus, statusToStage, type Policy } from "@concord/policy";
import { orderFields, type OrderField, type OrderView } from "./order-view";
import type { SyncPoint } from "./pair-state";
import { reconcileFields, type FieldDecision, type FieldConflict } from "./reconcile-fields";

export type OrderConflict = FieldConflict<OrderField>;
export type OrderDecision = FieldDecision<OrderField, OrderView>;

/** 1C generates these: they are only ever read from 1C, whatever the policy says. */
const generatedByOnec = new Set<OrderField>(["number", "posted", "paymentState", "shipmentState"]);
const writableToOnec = new Set<OrderField>(["title", "status", "lines", "customer"]);

function tryMap(map: () => string): string | null {
  try {
    return map();
  } catch (error) {
    if (isSyncError(error)) return null;
    throw error;
  }
}

/**
 * One order pair under the policy: statuses go through the status map (an unmapped one is a
 * permanent error naming it), the status master switches when 1C posts the order, and lossy
 * maps (NEW and PREPARATION both → НеСогласован) agree in either direction.
 */
export function reconcileOrder(input: {
  crm: OrderView;
  onec: OrderView;
  last: SyncPoint<OrderView>;
  policy: Policy;
  categoryId: string;
}): OrderDecision {
  const { policy, categoryId } = input;
  const posted = input.onec.posted === true;
  const flows = policy.flows.order;
  return reconcileFields<OrderField, OrderView>(
    {
      fields: orderFields,
      masterOf: (field) => (generatedByOnec.has(field) ? "erp" : masterOf(policy, "order", field, { posted })),
      agree: (field, crm, onec) =>
        field === "status"
          ? tryMap(() => stageToStatus(policy, String(crm))) === onec || tryMap(() => statusToStage(policy, String(onec), categoryId)) === crm
          : JSON.stringify(crm ?? null) === JSON.stringify(onec ?? null),
      toOnec: (field, crm) => (!writableToOnec.has(field) || !flows.crmToErp ? undefined : field === "status" ? stageToStatus(policy, crm.status) : crm[field]),
      toCrm: (field, onec) => (field === "customer" || !flows.erpToCrm ? undefined : field === "status" ? statusToStage(policy, onec.status, categoryId) : onec[field]),
      rule: (field, master) => `ownership.order.${field} = ${master}${field === "status" ? (posted ? " (after posting)" : " (before posting)") : ""}`,
    },
    input.crm,
    input.onec,
    input.last,
  );
}
