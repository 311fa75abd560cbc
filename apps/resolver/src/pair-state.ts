// Moved to @concord/reconcile (shared with `concord reconcile`); kept so the resolver's imports stay as they were.
export { learnStoredForms, readPairState, recordAgreement, recordConflicts, standingStoredForms, storedFormsNote } from "@concord/reconcile";
export type { PairState, SyncPoint } from "@concord/reconcile";
