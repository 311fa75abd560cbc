import { z } from "zod";
import { ENTITY_SETS, TABULAR_SETS } from "./metadata";
import { createRandom, type Random } from "./prng";

/**
 * Fault injection for OData requests and for change notifications. Deterministic for a given
 * `seed` (mulberry32), random otherwise.
 */

export const ODATA_METHODS = ["GET", "POST", "PATCH", "DELETE", "Post", "Unpost"] as const;
export type ODataMethod = (typeof ODATA_METHODS)[number];
const WRITE_METHODS: ReadonlySet<ODataMethod> = new Set(["POST", "PATCH", "DELETE", "Post", "Unpost"]);

const rate = z.number().min(0).max(1);

export const RequestFaultSchema = z
  .object({
    /** 500 with no odata.error body; nothing written (the client cannot know that). */
    errorRate: rate.optional(),
    /** Added delay before the request is handled. */
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    /** Hang `timeoutMs` (default 65 s), then destroy the socket; nothing written. */
    timeoutRate: rate.optional(),
    timeoutMs: z.number().int().min(0).max(600_000).optional(),
    /** 500 code -1 "Конфликт блокировок…"; nothing written. */
    lockRate: rate.optional(),
    /** Writes only: the write IS committed (and notified), then the response is a 500 or a dropped connection. */
    commitThenFailRate: rate.optional(),
    commitThenFailMode: z.enum(["500", "drop", "random"]).optional(),
    /**
     * Writes only, with `latencyMs`: a client that gives up during the latency does not stop the
     * write — 1C goes on and commits it this much later (a slow base finishing a POST nobody waits for).
     */
    slowCommitMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();
export type RequestFault = z.infer<typeof RequestFaultSchema>;

const MethodFaultsSchema = z.partialRecord(z.enum(["*", ...ODATA_METHODS]), RequestFaultSchema);
const SetFaultsSchema = z.union([RequestFaultSchema, MethodFaultsSchema]);

export const NotificationFaultSchema = z
  .object({
    /** Drop a notification without sending it, never retried (a lost message). */
    dropRate: rate.optional(),
    /** Send an attempt twice, concurrently. */
    duplicateRate: rate.optional(),
    /** Add a random extra delay in [0, reorderWindowMs) per notification so they can overtake each other. */
    reorder: z.boolean().optional(),
    reorderWindowMs: z.number().int().min(0).max(600_000).optional(),
    /** Fixed delay before the first attempt. */
    delayMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();
export type NotificationFaults = z.infer<typeof NotificationFaultSchema>;

const knownSets = new Set(["*", ...ENTITY_SETS.keys(), ...TABULAR_SETS.keys()]);

export const FaultsSchema = z
  .object({
    seed: z.number().int().optional(),
    notifications: NotificationFaultSchema.optional(),
  })
  .catchall(SetFaultsSchema)
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if (key === "seed" || key === "notifications" || knownSets.has(key)) continue;
      ctx.addIssue({ code: "custom", path: [key], message: `unknown set "${key}" (use a set name or "*")` });
    }
  });
export type FaultsConfig = z.infer<typeof FaultsSchema>;

export interface FaultDecision {
  latencyMs: number;
  outcome: "none" | "timeout" | "lock" | "error";
  timeoutMs: number;
  commitThenFail: null | "500" | "drop";
  slowCommitMs: number;
}

const NO_FAULT: FaultDecision = { latencyMs: 0, outcome: "none", timeoutMs: 0, commitThenFail: null, slowCommitMs: 0 };
export const DEFAULT_TIMEOUT_MS = 65_000;

function isMethodMap(value: unknown): value is Partial<Record<"*" | ODataMethod, RequestFault>> {
  if (typeof value !== "object" || value === null) return false;
  return Object.keys(value).some((k) => k === "*" || (ODATA_METHODS as readonly string[]).includes(k));
}

export class FaultInjector {
  private config: FaultsConfig | null = null;
  private random: Random;

  constructor(private readonly defaultSeed: number | undefined) {
    this.random = createRandom(defaultSeed);
  }

  set(config: FaultsConfig): void {
    this.config = config;
    this.random = createRandom(config.seed ?? this.defaultSeed);
  }

  clear(): void {
    this.config = null;
    this.random = createRandom(this.defaultSeed);
  }

  current(): FaultsConfig | null {
    return this.config;
  }

  notificationFaults(): NotificationFaults {
    return this.config?.notifications ?? {};
  }

  /** The most specific rule: set+method, then set, then "*"+method, then "*". */
  private resolve(set: string, method: ODataMethod): RequestFault | undefined {
    if (!this.config) return undefined;
    for (const key of [set, "*"]) {
      const entry = this.config[key] as unknown;
      if (entry === undefined) continue;
      if (isMethodMap(entry)) {
        const hit = entry[method] ?? entry["*"];
        if (hit) return hit;
        continue;
      }
      return entry as RequestFault;
    }
    return undefined;
  }

  decide(set: string, method: ODataMethod): FaultDecision {
    const rule = this.resolve(set, method);
    if (!rule) return NO_FAULT;
    const roll = (p: number | undefined): boolean => p !== undefined && p > 0 && this.random() < p;
    const decision: FaultDecision = {
      ...NO_FAULT,
      latencyMs: rule.latencyMs ?? 0,
      timeoutMs: rule.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      slowCommitMs: WRITE_METHODS.has(method) ? (rule.slowCommitMs ?? 0) : 0,
    };
    if (roll(rule.timeoutRate)) decision.outcome = "timeout";
    else if (roll(rule.lockRate)) decision.outcome = "lock";
    else if (roll(rule.errorRate)) decision.outcome = "error";
    else if (WRITE_METHODS.has(method) && roll(rule.commitThenFailRate)) {
      const mode = rule.commitThenFailMode ?? "random";
      decision.commitThenFail = mode === "random" ? (this.random() < 0.5 ? "500" : "drop") : mode;
    }
    return decision;
  }
}
