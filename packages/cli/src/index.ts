export { buildProgram, confirmOnStdin } from "./program";
export type { CliIo } from "./program";
export { parseFilter, parseTime, toFilter, normaliseFlow, FILTER_KEYS } from "./filter";
export { createConsoleClient, targetFromEnv, CliError } from "./client";
export type { ConsoleClient, ConsoleTarget } from "./client";
