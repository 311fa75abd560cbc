// Moved to @concord/reconcile (shared with `concord reconcile`); kept so the resolver's imports stay as they were.
export { reconcileFields } from "@concord/reconcile";
export type { FieldConflict, FieldDecision, FieldRules, Side } from "@concord/reconcile";
