import { z } from "zod";
import type { CircuitSettings } from "./circuit";
import { defaultRetryPolicy, type RetryPolicy } from "./retry-policy";

/**
 * The variables of a writer's circuit and retry budget (spread into its config schema). The
 * defaults suit production; tests shorten them.
 */
export const outageConfig = {
  /** Window in which 5xx, timeouts and refused connections of distinct records open the circuit. */
  CIRCUIT_WINDOW_MS: z.coerce.number().int().positive().default(30_000),
  /** How many distinct records failing so within the window open it (rate limits and 401/403 open at once). */
  CIRCUIT_DISTINCT_RECORDS: z.coerce.number().int().min(1).default(3),
  /** First wait before a probe of an open circuit; it doubles after each failed probe … */
  CIRCUIT_PROBE_MIN_MS: z.coerce.number().int().positive().default(5_000),
  /** … up to this. */
  CIRCUIT_PROBE_MAX_MS: z.coerce.number().int().positive().default(300_000),
  /**
   * How long a record's own failures are retried, from the first (kept in NATS: survives
   * restarts, shared by replicas). Target-wide faults do not count: they pause the flow.
   */
  RETRY_BUDGET_MS: z.coerce.number().int().min(60_000).default(24 * 3600_000),
};

export interface OutageConfig {
  CIRCUIT_WINDOW_MS: number;
  CIRCUIT_DISTINCT_RECORDS: number;
  CIRCUIT_PROBE_MIN_MS: number;
  CIRCUIT_PROBE_MAX_MS: number;
  RETRY_BUDGET_MS: number;
}

export function circuitSettingsOf(config: OutageConfig): CircuitSettings {
  return {
    windowMs: config.CIRCUIT_WINDOW_MS,
    distinctRecords: config.CIRCUIT_DISTINCT_RECORDS,
    probeMinMs: config.CIRCUIT_PROBE_MIN_MS,
    probeMaxMs: Math.max(config.CIRCUIT_PROBE_MAX_MS, config.CIRCUIT_PROBE_MIN_MS),
  };
}

export function retryPolicyOf(config: OutageConfig): RetryPolicy {
  return { ...defaultRetryPolicy, budgetMs: config.RETRY_BUDGET_MS, pauseMaxMs: Math.min(10_000, Math.max(config.CIRCUIT_PROBE_MAX_MS, 1_000)) };
}
