// The marker rules live in @concord/onec-client: the go-live tools (backfill, mapping rebuild)
// read and write the same inverse ids as this writer.
export { MARKER_PROPERTY, markerAdded, markerFilters, markerMigration, markerOf, markerRows } from "@concord/onec-client";
