export { addGoLiveCommands, contextFromEnv } from "./commands";
export { goLiveConfigSchema } from "./config";
export { parseDecisions, splitCsvLine } from "./decisions-file";
export { compareWithTable, backfillGateKey, openContext, progressLine, runBackfill, runRebuild, runVerify, skipBackfill } from "./run";
export { customerIndexKeys, indexBy, indexTable, matchEntity, productPairs, provenPairs } from "./match";
export { CSV_HEADER, countBy, formatReport, reportCsv, reportJson, summaryOf } from "./report";
export { GO_LIVE_ENTITIES, LISTS, refKey } from "./records";
export { formatReconcile, lastReconcile, runReconcile } from "./reconcile";

export type { GoLiveIo } from "./commands";
export type { GoLiveConfig } from "./config";
export type { DecisionEntry, ParseResult } from "./decisions-file";
export type { BackfillGate, GoLiveContext, RunOptions } from "./run";
export type { Ambiguous, MatchResult, Pair, Sides, TablePair, Unmatched } from "./match";
export type { Report } from "./report";
export type { Drift, DriftField, ReconcileReport } from "@concord/contracts";
export type { CustomerRecord, GoLiveEntity, OrderRecord, ProductRecord, Ref } from "./records";
