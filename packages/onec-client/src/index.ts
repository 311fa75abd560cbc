export { checkedRefKey, createOnecClient, odataGuid, odataString } from "./client";
export type { OnecClient, OnecClientOptions, OnecRateLimiter, OnecRecord, ListQuery } from "./client";
export { classifyOnecError } from "./classify";
export type { OnecErrorBody } from "./classify";
export { MARKER_PROPERTY, markerAdded, markerFilters, markerMigration, markerOf, markerRows } from "./markers";
