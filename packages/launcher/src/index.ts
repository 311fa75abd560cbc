export { ensureInfra } from "./infra";
export { CHROMIUM_MISSING, ensureChromium, findChromium } from "./chromium";
export type { Infra } from "./infra";
export { AppProcess } from "./app-process";
export type { AppSpec } from "./app-process";
export {
  appEnv,
  appNames,
  appSpec,
  bitrix24WebhookBase,
  defaultPorts,
  demoConsoleUsers,
  demoSecrets,
  onecServiceRoot,
  repoRoot,
  startSystem,
  waitReady,
} from "./system";
export type { AppName, ConsoleLogin, RunningSystem, SystemConfig } from "./system";
export { isListening, waitForHttp } from "./net";
export { startOwnNats, startOwnPostgres } from "./own-servers";
export type { OwnServer } from "./own-servers";
