export { connectDb, migrateDb, queryRows } from "./client";
export type { Database, DbHandle } from "./client";
export { idMapping, syncState, exchangeLog, conflicts, deadLetters, auditLog, decisions, goLiveRuns, goLivePages, alerts, alertDeliveries, failureGroups } from "./schema";
