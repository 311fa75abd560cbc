// Moved to @concord/reconcile (shared with `concord reconcile`); kept so the resolver's imports stay as they were.
export { crmCustomerView, customerFields, onecCustomerView, reconcileCustomer } from "@concord/reconcile";
export type { CustomerField, CustomerView } from "@concord/reconcile";
