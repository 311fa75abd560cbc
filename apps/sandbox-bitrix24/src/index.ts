export { createSandbox } from "./app";
export { defaultConfig, parseConfig, redactConfig } from "./config";
export { EVENT_NAMES } from "./events";
export type { Sandbox } from "./app";
export type { SandboxConfig, ConfigResult } from "./config";
export type { DeliveryLogEntry, EventBinding } from "./events";
export type { FaultConfig, MethodFaults, EventFaults } from "./faults";
export type { StatsSnapshot } from "./stats";
