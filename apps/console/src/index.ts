export { createApp, createServer } from "./app";
export type { ServerOptions } from "./app";
export { consoleConfigSchema } from "./config";
export type { ConsoleConfig } from "./config";
