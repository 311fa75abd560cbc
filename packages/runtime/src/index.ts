export { answerMetrics, startHealthServer } from "./health";
export { otlpSettingsOf, runService } from "./run-service";
export type { Service } from "./run-service";
export { startWorker } from "./worker";
export type { WorkerParts } from "./worker";
export { startPeriodic } from "./periodic";
export type { PeriodicTask } from "./periodic";
