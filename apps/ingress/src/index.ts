export { createApp, createServer } from "./app";
export type { AppDeps, IngressApp, ServerOptions, PublishSettings } from "./app";
export { ingressConfigSchema } from "./config";
export type { IngressConfig } from "./config";
export { signStandardWebhook, verifyStandardWebhook } from "./signature";
