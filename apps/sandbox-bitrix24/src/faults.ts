// Fault injection, configured through PUT /admin/faults. Every decision is made BEFORE the
// method runs, so an injected error never leaves a half-written record behind.

import { z } from "zod";
import { createRandom, type Random } from "./prng";

const rate = z.number().min(0).max(1);

export const methodFaultsSchema = z
  .object({
    /** Share of calls answered 500 INTERNAL_SERVER_ERROR. */
    errorRate: rate.optional(),
    /** Extra latency added before answering, in ms. */
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    /** Share of calls that hang and then have their socket destroyed (the 60 s cloud cut-off). */
    timeoutRate: rate.optional(),
    /** How long a "timeout" call hangs before the socket is destroyed (default 65 000 ms). */
    timeoutMs: z.number().int().min(0).max(600_000).optional(),
    /** Share of calls answered 503 QUERY_LIMIT_EXCEEDED. */
    rateLimitRate: rate.optional(),
    /** Share of calls answered 429 OPERATION_TIME_LIMIT. */
    operationLimitRate: rate.optional(),
  })
  .strict();
export type MethodFaults = z.infer<typeof methodFaultsSchema>;

export const eventFaultsSchema = z
  .object({
    /** Share of events silently dropped (logged as dropped-by-fault). */
    dropRate: rate.optional(),
    /** Share of events sent twice, concurrently. */
    duplicateRate: rate.optional(),
    /** Hold events for `reorderWindowMs` and send them shuffled. */
    reorder: z.boolean().optional(),
    reorderWindowMs: z.number().int().min(0).max(60_000).optional(),
    /** Extra delay before an event is queued for delivery, in ms. */
    delayMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();
export type EventFaults = z.infer<typeof eventFaultsSchema>;

export const faultConfigSchema = z
  .object({
    methods: z.record(z.string(), methodFaultsSchema).optional(),
    /** Defaults for every method; a method's own entry overrides field by field. */
    "*": methodFaultsSchema.optional(),
    events: eventFaultsSchema.optional(),
    seed: z.number().int().optional(),
  })
  .strict();
export type FaultConfig = z.infer<typeof faultConfigSchema>;

export type MethodFaultDecision =
  | { kind: "none"; latencyMs: number }
  | { kind: "timeout"; latencyMs: number; timeoutMs: number }
  | { kind: "rateLimit"; latencyMs: number }
  | { kind: "operationLimit"; latencyMs: number }
  | { kind: "error"; latencyMs: number };

export const DEFAULT_TIMEOUT_MS = 65_000;

export class Faults {
  private config: FaultConfig = {};
  private methodRandom: Random;
  private eventRandom: Random;

  constructor(private readonly defaultSeed: number | undefined) {
    this.methodRandom = createRandom(defaultSeed, 0x1);
    this.eventRandom = createRandom(defaultSeed, 0x2);
  }

  set(config: FaultConfig): void {
    this.config = config;
    const seed = config.seed ?? this.defaultSeed;
    // Separate streams: event timing must not shift which method calls fail.
    this.methodRandom = createRandom(seed, 0x1);
    this.eventRandom = createRandom(seed, 0x2);
  }

  clear(): void {
    this.set({});
  }

  current(): FaultConfig {
    return this.config;
  }

  forMethod(method: string): MethodFaults {
    return { ...(this.config["*"] ?? {}), ...(this.config.methods?.[method] ?? {}) };
  }

  events(): EventFaults {
    return this.config.events ?? {};
  }

  /** Rolls the dice for one call. Always draws the same number of values per call (replayable). */
  decide(method: string): MethodFaultDecision {
    const f = this.forMethod(method);
    const latencyMs = f.latencyMs ?? 0;
    const hit = (r: number | undefined): boolean => {
      const roll = this.methodRandom();
      return r !== undefined && r > 0 && roll < r;
    };
    const timeout = hit(f.timeoutRate);
    const rateLimit = hit(f.rateLimitRate);
    const operationLimit = hit(f.operationLimitRate);
    const error = hit(f.errorRate);
    if (timeout) return { kind: "timeout", latencyMs, timeoutMs: f.timeoutMs ?? DEFAULT_TIMEOUT_MS };
    if (rateLimit) return { kind: "rateLimit", latencyMs };
    if (operationLimit) return { kind: "operationLimit", latencyMs };
    if (error) return { kind: "error", latencyMs };
    return { kind: "none", latencyMs };
  }

  /** A draw from the event stream (drop / duplicate / shuffle decisions). */
  eventRoll(): number {
    return this.eventRandom();
  }
}
