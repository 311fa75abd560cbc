export { reconcileFields } from "./reconcile-fields";
export { crmOrderView, onecOrderView, orderFields, unitPaid } from "./order-view";
export { reconcileOrder } from "./order-reconcile";
export { crmCustomerView, customerFields, onecCustomerView, reconcileCustomer } from "./customer-reconcile";
export { formatReconcile, lastReconcile, runReconcile } from "./run";
export { learnStoredForms, readPairState, recordAgreement, recordConflicts, standingStoredForms, storedFormsNote } from "./pair-state";

export type { FieldConflict, FieldDecision, FieldRules, Side } from "./reconcile-fields";
export type { DealFieldMap, OrderField, OrderView } from "./order-view";
export type { OrderConflict, OrderDecision } from "./order-reconcile";
export type { CustomerField, CustomerView } from "./customer-reconcile";
export type { PairState, SyncPoint } from "./pair-state";
export type { ReconcileDeps, ReconcileOptions } from "./run";
