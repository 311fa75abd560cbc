// Moved to @concord/reconcile (shared with `concord reconcile`); kept so the resolver's imports stay as they were.
export { crmOrderView, onecOrderView, orderFields, unitPaid } from "@concord/reconcile";
export type { DealFieldMap, OrderField, OrderView } from "@concord/reconcile";
