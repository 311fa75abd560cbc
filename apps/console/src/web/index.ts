import type { Router } from "express";
import type { Logger } from "@concord/telemetry";
import { masker } from "@concord/telemetry";
import type { ConsoleConfig } from "../config";
import type { WebData, WebPage } from "./data";
import { createWebRouter } from "./router";
import { openSessionStore } from "./sessions";
import type { ConsoleUser } from "./users";
import { homePage } from "./pages/home";
import { recordsPage } from "./pages/records";
import { failuresPage } from "./pages/failures";
import { deadLettersPage } from "./pages/dead-letters";
import { decisionsPage } from "./pages/decisions";
import { flowsPage } from "./pages/flows";
import { auditPage } from "./pages/audit";

/** Every page of the web console, in the order of the navigation. */
const PAGES: WebPage[] = [homePage, recordsPage, failuresPage, deadLettersPage, decisionsPage, flowsPage, auditPage];

/** Sessions live 12 h at most, whatever the idle limit. */
const SESSION_MAX_AGE_MS = 12 * 3600_000;

export interface WebConsoleOptions {
  config: ConsoleConfig;
  users: readonly ConsoleUser[];
  data: WebData;
  logger: Logger;
}

/** The web console's router: sessions in NATS KV (`<NS>_CONSOLE_SESSIONS`), sign-in, and every page. */
export async function createWebConsole(options: WebConsoleOptions): Promise<Router> {
  const { config, data } = options;
  masker.addSecrets(options.users.map((u) => u.passwordHash));
  const sessions = await openSessionStore(data.bus, data.subjects.sessionsBucket, { idleMs: config.CONSOLE_SESSION_IDLE_MINUTES * 60_000, maxAgeMs: SESSION_MAX_AGE_MS });
  return createWebRouter({
    users: options.users,
    sessions,
    audit: data.audit,
    logger: options.logger,
    timeZone: config.CONSOLE_TIME_ZONE,
    secureCookies: config.CONSOLE_COOKIE_SECURE,
    pages: PAGES.map((page) => (router: Router) => page(router, data)),
  });
}

export { createWebRouter, requireWebRole, ErrorPage, SESSION_COOKIE } from "./router";
export { hashPassword, verifyUser, ConsoleUsersSchema, type ConsoleUser } from "./users";
