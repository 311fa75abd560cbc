import { hostname } from "node:os";
import { z } from "zod";
import { createFlowModes, type Bus, type StateStore } from "@concord/bus";
import type { Subjects } from "@concord/contracts";
import type { Database } from "@concord/db";
import { masker, type Logger } from "@concord/telemetry";
import { alertSecrets, loadAlertsConfig, type AlertsSettings } from "./alerts-config";
import { createSender, type Send } from "./alerts-channels";
import { createAlertEvaluator, type AlertEvaluator } from "./alerts-evaluator";
import { createChecks } from "./alerts-sources";
import type { AlertView } from "@concord/contracts";
import { createAlertStore } from "./alerts-store";

export const AlertsQuerySchema = z.strictObject({
  status: z.enum(["active", "resolved", "all"]).default("active"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AlertsQuery = z.infer<typeof AlertsQuerySchema>;

/** What GET /api/alerts reads. */
export interface AlertsReader {
  list(query: AlertsQuery): Promise<{ alerts: AlertView[] }>;
}

export interface Alerting extends AlertsReader {
  evaluator: AlertEvaluator;
  stop(): Promise<void>;
}

export interface AlertingOptions {
  settings: AlertsSettings;
  /** Concord's tables, migrated (the console opens them once for alerts and its pages). */
  db: Database;
  bus: Bus;
  subjects: Subjects;
  state: StateStore;
  rpcTimeoutMs: number;
  logger: Logger;
  /** Replica name in the lease (default: host and pid). */
  owner?: string;
  send?: Send;
  now?: () => number;
}

/** The console's alerting: checks over the system's own state, the evaluator under its lease. */
export async function createAlerting(options: AlertingOptions): Promise<Alerting> {
  const { settings, logger } = options;
  masker.addSecrets(alertSecrets(settings));
  const store = createAlertStore(options.db);
  const now = options.now ?? Date.now;
  const checks = createChecks(settings.rules, {
    db: options.db,
    nc: options.bus.nc,
    jsm: options.bus.jsm,
    subjects: options.subjects,
    flowModes: createFlowModes(options.state),
    rpcTimeoutMs: options.rpcTimeoutMs,
    now,
  });
  const evaluator = createAlertEvaluator({
    settings,
    store,
    checks,
    send: options.send ?? createSender(settings.delivery.timeoutSeconds * 1000),
    state: options.state,
    owner: options.owner ?? `console@${hostname()}:${process.pid}`,
    logger,
    now,
  });
  return {
    evaluator,
    list: async (query) => ({ alerts: await store.list(query) }),
    stop: () => evaluator.stop(),
  };
}

export { loadAlertsConfig };
