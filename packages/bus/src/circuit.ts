import { z } from "zod";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { catalogEntry, isSyncError, retryable, type Subjects, type System } from "@concord/contracts";
import { gauges, metrics, type Logger } from "@concord/telemetry";
import { natsErrorCode } from "./nats-errors";
import type { Bus } from "./connection";
import type { RateLimiter } from "./rate-limiter";
import { requestRpc, serveRpc } from "./rpc";
import type { StateStore } from "./state-store";

/**
 * A circuit per target (one portal, one 1C base), kept in one key of the state KV bucket so
 * every replica and process calling the target shares it. Closed: calls go out. Open: no call
 * goes out except one probe at a time, at growing intervals; the probe's success closes it.
 */
export const CircuitStateSchema = z.object({
  status: z.enum(["closed", "open"]),
  /** When it opened (ms, the clock of the replica that opened it); null while closed. */
  since: z.number().nullable(),
  lastCode: z.string().nullable(),
  /** The last target-scope failure, in words (masked by whoever raised it). */
  lastError: z.string().nullable(),
  /** Recent failures of the distinct-records kind, while closed: which record, when. */
  failures: z.array(z.object({ record: z.string(), at: z.number() })),
  /** No probe before this time. */
  probeAt: z.number(),
  /** The wait before the next probe; doubles after each failed probe, up to the maximum. */
  probeDelayMs: z.number(),
  /** Who holds the current probe slot. */
  probeOwner: z.string().nullable(),
  changedAt: z.number(),
});
export type CircuitState = z.infer<typeof CircuitStateSchema>;

export interface CircuitSettings {
  /** Window in which distinct records' 5xx / timeouts / refused connections are counted. */
  windowMs: number;
  /** Distinct records failing in that window that open the circuit. */
  distinctRecords: number;
  /** First wait before a probe, and its ceiling. */
  probeMinMs: number;
  probeMaxMs: number;
}

export const defaultCircuitSettings: CircuitSettings = { windowMs: 30_000, distinctRecords: 3, probeMinMs: 5_000, probeMaxMs: 300_000 };

export const closedCircuit = (now: number): CircuitState => ({
  status: "closed",
  since: null,
  lastCode: null,
  lastError: null,
  failures: [],
  probeAt: 0,
  probeDelayMs: 0,
  probeOwner: null,
  changedAt: now,
});

export interface TargetFailure {
  code: string;
  message: string;
  record: string;
  /** The target's Retry-After: no probe before it. */
  retryAfterMs?: number;
}

/**
 * The state after a target-scope failure (pure). A rate limit or a refused credential opens at
 * once; 5xx, timeouts and refused connections open when `distinctRecords` distinct records fail
 * within `windowMs`. While open, a failure pushes the next probe back (doubling the wait).
 */
export function circuitAfterFailure(state: CircuitState, failure: TargetFailure, settings: CircuitSettings, now: number): CircuitState {
  const entry = catalogEntry(failure.code);
  const retryAfter = failure.retryAfterMs ?? 0;
  if (state.status === "open") {
    const probeDelayMs = Math.min(Math.max(state.probeDelayMs * 2, settings.probeMinMs), settings.probeMaxMs);
    return { ...state, lastCode: failure.code, lastError: failure.message, probeDelayMs, probeAt: now + Math.max(probeDelayMs, retryAfter), probeOwner: null };
  }
  const failures = [...state.failures.filter((f) => f.at > now - settings.windowMs && f.record !== failure.record), { record: failure.record, at: now }].slice(-50);
  const opens = entry.trip === "at-once" || failures.length >= settings.distinctRecords;
  if (!opens) return { ...state, failures, lastCode: failure.code, lastError: failure.message };
  return {
    status: "open",
    since: now,
    lastCode: failure.code,
    lastError: failure.message,
    failures: [],
    probeAt: now + Math.max(settings.probeMinMs, retryAfter),
    probeDelayMs: settings.probeMinMs,
    probeOwner: null,
    changedAt: now,
  };
}

export type Admission = { admit: true; probe: boolean } | { admit: false; waitMs: number };

/** Whether a call may go out now (pure): always while closed; while open, one probe once due. */
export function admitCall(state: CircuitState, now: number): Admission {
  if (state.status === "closed") return { admit: true, probe: false };
  if (now >= state.probeAt) return { admit: true, probe: true };
  return { admit: false, waitMs: state.probeAt - now };
}

/** What `/readyz`, the console and alerts show of a circuit. */
export interface CircuitView {
  target: System;
  key: string;
  status: "closed" | "open";
  since: string | null;
  lastError: string | null;
  lastCode: string | null;
  nextProbeAt: string | null;
  /** Set when an outage has lasted long enough that unprocessed messages near the streams' max_age. */
  warning: string | null;
}

export interface Circuit {
  readonly target: System;
  readonly key: string;
  /** Throws CIRCUIT_OPEN (target scope, no call made) while open, except for the probe. */
  admit(): Promise<void>;
  /** A failure of a call to the target; ignored unless its code is of this target's scope. Never throws. */
  recordFailure(error: unknown, record: string): Promise<void>;
  /** Work that needed the target succeeded: closes the circuit if this process holds the probe. Never throws. */
  recordSuccess(): Promise<void>;
  /** The state, at most `maxAgeMs` (default: `refreshMs`) old. */
  current(maxAgeMs?: number): Promise<CircuitState>;
  /** The last state read, without I/O. */
  view(): CircuitView;
}

export interface CircuitOptions {
  state: StateStore;
  target: System;
  /** Host of the portal or base: one circuit per target instance, never the URL (it may hold a token). */
  url: string;
  owner: string;
  logger: Logger;
  settings?: Partial<CircuitSettings>;
  /** How stale the cached state may be before a call reads it again. */
  refreshMs?: number;
  /** Streams' max_age: an outage longer than half of it is reported. */
  streamMaxAgeMs?: number;
  now?: () => number;
}

/** Calls one probe may make (a command's reads and writes), counting the first. */
const PROBE_CALLS = 10;

export function circuitKey(target: System, url: string): string {
  return `circuit.${target}.${new URL(url).host.replace(/[^a-zA-Z0-9.-]/g, "_")}`;
}

const errorCode = (error: unknown) => (isSyncError(error) ? error.code : (natsErrorCode(error) ?? "UNCLASSIFIED"));
/** The error itself, or the first of its causes, that is this target's failure; null when none is. */
export function targetCause(error: unknown, target: System): unknown {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = errorCode(e);
    const entry = catalogEntry(code);
    if (code !== "CIRCUIT_OPEN" && entry.scope === "target" && entry.system === target) return e;
  }
  return null;
}

const errorText = (error: unknown) => String((error as Error)?.message ?? error).slice(0, 500);

export function createCircuit(options: CircuitOptions): Circuit {
  const { state, target, owner, logger } = options;
  const key = circuitKey(target, options.url);
  const settings = { ...defaultCircuitSettings, ...options.settings };
  const refreshMs = options.refreshMs ?? 1_000;
  const now = options.now ?? Date.now;
  const maxAgeMs = options.streamMaxAgeMs ?? 7 * 24 * 3600_000;
  let cached: CircuitState = closedCircuit(0);
  let readAt = -Infinity;
  /**
   * This process won the probe: the probe's work (a command makes several calls) goes out until
   * its outcome is known — at most PROBE_CALLS calls, so work arriving meanwhile cannot ride on it.
   */
  let probingUntil = 0;
  let probeCalls = 0;
  let lastAgeWarning = 0;

  const read = async () => {
    const entry = await state.getJson<unknown>(key);
    const parsed = CircuitStateSchema.safeParse(entry?.value);
    cached = parsed.success ? parsed.data : closedCircuit(0);
    readAt = now();
    return { current: cached, revision: entry?.revision ?? null };
  };

  const current = async (maxAgeMs = refreshMs) => (now() - readAt < maxAgeMs ? cached : (await read()).current);

  /** Applies `change` by compare-and-set; logs a change of status once, by the replica that made it. */
  const update = async (change: (s: CircuitState) => CircuitState | null): Promise<CircuitState> => {
    for (let i = 0; i < 20; i++) {
      const { current: before, revision } = await read();
      const next = change(before);
      if (!next) return before;
      if (await state.compareAndSet(key, next, revision)) {
        cached = next;
        if (before.status !== next.status) {
          if (next.status === "open") metrics.circuitOpened.inc({ target, circuit: key });
          if (next.status === "open") logger.error("circuit opened: the flow to the target pauses", { circuit: key, code: next.lastCode, error: next.lastError, nextProbeInMs: next.probeAt - now() });
          else logger.warn("circuit closed: the flow to the target resumes", { circuit: key, openForMs: before.since === null ? 0 : now() - before.since });
        }
        return next;
      }
    }
    return cached;
  };

  const view = (): CircuitView => {
    const s = cached;
    const openMs = s.status === "open" && s.since !== null ? now() - s.since : 0;
    const warning = openMs > maxAgeMs / 2 ? `open for ${Math.round(openMs / 3600_000)} h: messages waiting since then age out of the streams at ${Math.round(maxAgeMs / 3600_000)} h` : null;
    if (warning && now() - lastAgeWarning > 3600_000) {
      lastAgeWarning = now();
      logger.error("outage approaches the streams' max_age", { circuit: key, warning });
    }
    return {
      target,
      key,
      status: s.status,
      since: s.since === null ? null : new Date(s.since).toISOString(),
      lastError: s.lastError,
      lastCode: s.lastCode,
      nextProbeAt: s.status === "open" ? new Date(s.probeAt).toISOString() : null,
      warning,
    };
  };

  // Scrapes read the shared state at most every 5 s: a replica with nothing to do still shows the truth.
  gauges.circuitOpen.add(async () => {
    const s = await current(5_000).catch(() => cached);
    return [{ labels: { target, circuit: key }, value: s.status === "open" ? 1 : 0 }];
  });

  return {
    target,
    key,
    current,
    view,
    admit: async () => {
      if (probingUntil > now() && probeCalls > 0) {
        probeCalls--;
        return;
      }
      let s: CircuitState;
      try {
        s = await current();
      } catch {
        return; // the shared state cannot be read: do not stop the flow over it
      }
      const decision = admitCall(s, now());
      if (decision.admit && !decision.probe) return;
      if (decision.admit) {
        // Take the probe slot: the next one only after the probe's own wait.
        const won = await update((latest) => {
          const again = admitCall(latest, now());
          if (!again.admit || !again.probe) return null;
          return { ...latest, probeAt: now() + Math.max(latest.probeDelayMs, settings.probeMinMs), probeOwner: owner };
        }).catch(() => null);
        if (won && won.probeOwner === owner && won.status === "open") {
          probingUntil = now() + 60_000;
          probeCalls = PROBE_CALLS - 1;
          logger.debug("circuit probe", { circuit: key });
          return;
        }
        if (won && won.status === "closed") return;
      }
      const waitMs = decision.admit ? settings.probeMinMs : decision.waitMs;
      throw retryable("CIRCUIT_OPEN", `${target} circuit open since ${s.since === null ? "?" : new Date(s.since).toISOString()} (${s.lastCode}: ${s.lastError ?? ""})`, { retryAfterMs: waitMs });
    },
    recordFailure: async (thrown, record) => {
      // A record-scope error may carry the target's failure as its cause (a create in doubt after a 503).
      const error = targetCause(thrown, target);
      if (error === null) return;
      const code = errorCode(error);
      probingUntil = 0;
      const failure: TargetFailure = { code, message: errorText(error), record, retryAfterMs: isSyncError(error) ? error.retryAfterMs : undefined };
      try {
        await update((s) => circuitAfterFailure(s, failure, settings, now()));
      } catch (stateError) {
        logger.warn("could not record a target failure in the circuit", { circuit: key, stateError });
      }
    },
    recordSuccess: async () => {
      if (probingUntil <= now() && cached.status === "closed") return;
      try {
        if (probingUntil > now() || (await current()).status === "open") {
          const closing = probingUntil > now();
          probingUntil = 0;
          if (closing) await update((s) => (s.status === "open" ? closedCircuit(now()) : null));
        }
      } catch (stateError) {
        logger.warn("could not close the circuit", { circuit: key, stateError });
      }
    },
  };
}

/**
 * The rate limiter a client uses, behind the circuit: every call to the target (commands,
 * snapshot reads for the resolver, sweeps) first asks the circuit, so while it is open no
 * request goes out but the probe.
 */
export function gateLimiter(limiter: RateLimiter, circuit: Circuit): RateLimiter {
  return {
    acquire: async () => {
      await circuit.admit();
      await limiter.acquire();
    },
    reportLimited: (retryAfterMs) => limiter.reportLimited(retryAfterMs),
  };
}

/** Request/reply subject on which the writer calling `target` answers with its circuit's view. */
export const circuitSubject = (subjects: Subjects, target: System) => `${subjects.namespace}.rpc.circuits.${target}`;

/** Runs work that calls the target and tells the circuit how it went (success closes a probe; a target failure counts). */
export async function throughCircuit<T>(circuit: Circuit, record: string, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    await circuit.recordSuccess();
    return result;
  } catch (error) {
    await circuit.recordFailure(error, record);
    throw error;
  }
}

/** Answers the console with the circuit's current state (read fresh, not the cached view). */
export function serveCircuit(nc: NatsConnection, subjects: Subjects, circuit: Circuit, logger: Logger): Subscription {
  return serveRpc(nc, circuitSubject(subjects, circuit.target), z.object({}).passthrough(), async () => {
    await circuit.current(0).catch(() => undefined);
    return circuit.view();
  }, logger);
}

/** Every target's circuit, as the writers report it; a writer that does not answer gives `unknown`. */
export async function requestCircuits(nc: NatsConnection, subjects: Subjects, timeoutMs = 2_000): Promise<Array<CircuitView | { target: System; status: "unknown"; reason: string }>> {
  const targets: System[] = ["bitrix24", "onec"];
  return Promise.all(
    targets.map((target) =>
      requestRpc(nc, circuitSubject(subjects, target), {}, CircuitViewSchema, timeoutMs).catch((error: unknown) => ({
        target,
        status: "unknown" as const,
        reason: `its writer did not answer: ${String((error as Error)?.message ?? error).slice(0, 200)}`,
      })),
    ),
  );
}

export const CircuitViewSchema = z.object({
  target: z.enum(["bitrix24", "onec"]),
  key: z.string(),
  status: z.enum(["closed", "open"]),
  since: z.string().nullable(),
  lastError: z.string().nullable(),
  lastCode: z.string().nullable(),
  nextProbeAt: z.string().nullable(),
  warning: z.string().nullable(),
});

/** The shortest max_age of the streams whose messages wait while a circuit is open (events, commands). */
export async function streamMaxAgeMs(bus: Bus, subjects: Subjects): Promise<number> {
  const ages = await Promise.all([subjects.streams.events, subjects.streams.commands].map(async (name) => (await bus.jsm.streams.info(name)).config.max_age / 1e6));
  const limited = ages.filter((age) => age > 0);
  return limited.length > 0 ? Math.min(...limited) : Number.POSITIVE_INFINITY;
}

/**
 * A scheduled task (a sweep) through the circuit: when the circuit refuses it, the run ends
 * quietly and the next one comes on schedule — the outage was logged once, by the circuit.
 */
export async function scheduledThroughCircuit<T>(circuit: Circuit, record: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await throughCircuit(circuit, record, work);
  } catch (error) {
    if (isSyncError(error) && error.code === "CIRCUIT_OPEN") return undefined;
    throw error;
  }
}
