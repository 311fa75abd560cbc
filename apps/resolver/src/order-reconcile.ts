// Moved to @concord/reconcile (shared with `concord reconcile`); kept so the resolver's imports stay as they were.
export { reconcileOrder } from "@concord/reconcile";
export type { OrderConflict, OrderDecision } from "@concord/reconcile";
