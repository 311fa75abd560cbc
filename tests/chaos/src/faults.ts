import { setTimeout as sleep } from "node:timers/promises";
import type { Clients } from "./clients";
import type { OwnServer } from "@concord/launcher";
import type { ChaosSystem } from "./infra";
import type { Profile } from "./profiles";
import type { Random } from "./prng";
import { ORDER_SET } from "./clients";

/**
 * The fault schedule, drawn from the seed: SIGKILL of a random service (never a sandbox) every
 * few seconds and its restart; phases of API faults (5xx, timeouts, rate limits / lock
 * conflicts, commit-then-fail) and of event faults (duplicated, reordered, delayed, dropped
 * deliveries) on both sandboxes; one restart of NATS and one of PostgreSQL. Issues 10 and 11
 * add a phase of 1C commits that outlive Concord's timeout, a 1C outage longer than the run's
 * retry budget, and a noisy neighbour spending the portal's request budget.
 */

export const API_PHASES = ["calm", "errors", "timeouts", "rate-limits", "mixed"] as const;
export const EVENT_PHASES = ["calm", "duplicates", "reorder", "delays", "drops"] as const;
type ApiPhase = (typeof API_PHASES)[number];
type EventPhase = (typeof EVENT_PHASES)[number];

type FaultEvent =
  | { at: number; kind: "kill"; victim: number; downMs: number }
  | { at: number; kind: "slow-commits"; on: boolean }
  | { at: number; kind: "onec-outage"; state: "errors" | "silent" | "over" }
  | { at: number; kind: "noisy-neighbour"; on: boolean }
  | { at: number; kind: "nats-restart" }
  | { at: number; kind: "postgres-restart" }
  | { at: number; kind: "api"; phase: ApiPhase; seed: number }
  | { at: number; kind: "events"; phase: EventPhase; seed: number };

export interface FaultPlan {
  events: FaultEvent[];
}

export function planFaults(profile: Profile, random: Random): FaultPlan {
  const window = profile.faultWindowMs;
  const events: FaultEvent[] = [];
  for (let at = random.int(...profile.killEveryMs); at < window - 2_000; at += random.int(...profile.killEveryMs)) {
    events.push({ at, kind: "kill", victim: random.int(0, 1_000_000), downMs: random.int(...profile.downMs) });
  }
  events.push({ at: random.int(window * 0.3, window * 0.4), kind: "nats-restart" });
  events.push({ at: random.int(window * 0.6, window * 0.7), kind: "postgres-restart" });
  for (let at = 0; at < window; at += random.int(...profile.phaseMs)) events.push({ at, kind: "api", phase: random.pick(API_PHASES), seed: random.seed() });
  for (let at = 0; at < window; at += random.int(...profile.phaseMs)) events.push({ at, kind: "events", phase: random.pick(EVENT_PHASES), seed: random.seed() });
  // Issue 10: order POSTs 1C commits after Concord gave up, early (creates are busiest then).
  const slowFrom = random.int(window * 0.04, window * 0.06);
  events.push({ at: slowFrom, kind: "slow-commits", on: true }, { at: slowFrom + profile.slowCommitPhaseMs, kind: "slow-commits", on: false });
  // Issue 11: the 1C base goes away — its web server answers 500 for the first third, then
  // nothing at all (requests hang until the client's timeout) — and comes back by itself.
  const outageFrom = Math.max(slowFrom + profile.slowCommitPhaseMs + 1_000, window * profile.onecOutageAt);
  events.push({ at: outageFrom, kind: "onec-outage", state: "errors" }, { at: outageFrom + profile.onecOutageMs / 3, kind: "onec-outage", state: "silent" }, { at: outageFrom + profile.onecOutageMs, kind: "onec-outage", state: "over" });
  // … and another client of the portal spends its request budget for a while.
  const noisyFrom = random.int(window * 0.3, window * 0.4);
  events.push({ at: noisyFrom, kind: "noisy-neighbour", on: true }, { at: noisyFrom + profile.noisyNeighbourMs, kind: "noisy-neighbour", on: false });
  events.sort((a, b) => a.at - b.at);
  return { events };
}

const TIMEOUT_MS = 2_000;

function bitrix24Faults(api: ApiPhase, events: EventPhase, seed: number) {
  const methods = {
    calm: undefined,
    errors: { errorRate: 0.15 },
    timeouts: { timeoutRate: 0.08, timeoutMs: TIMEOUT_MS },
    "rate-limits": { rateLimitRate: 0.15, operationLimitRate: 0.05 },
    mixed: { errorRate: 0.05, timeoutRate: 0.03, timeoutMs: TIMEOUT_MS, rateLimitRate: 0.05, latencyMs: 100 },
  }[api];
  const deliveries = eventFaults(events);
  return { ...(methods ? { "*": methods } : {}), ...(deliveries ? { events: deliveries } : {}), seed };
}

/**
 * What the run does to 1C beside the random phase: an outage replaces every request's faults; a
 * slow-commit phase makes order POSTs outlive Concord's timeout and commits them afterwards.
 */
interface OnecOverlay {
  outage: "errors" | "silent" | null;
  slowCommits: boolean;
}

function onecFaults(api: ApiPhase, events: EventPhase, seed: number, overlay: OnecOverlay, timeoutMs: number) {
  if (overlay.outage) {
    const down = overlay.outage === "errors" ? { errorRate: 1 } : { timeoutRate: 1, timeoutMs: 2 * timeoutMs };
    const deliveries = eventFaults(events);
    return { "*": down, ...(deliveries ? { notifications: deliveries } : {}), seed };
  }
  const base = onecPhaseFaults(api, events, seed);
  if (!overlay.slowCommits) return base;
  return { ...base, [ORDER_SET]: { POST: { latencyMs: timeoutMs + 1_500, slowCommitMs: 1_500 } } };
}

function onecPhaseFaults(api: ApiPhase, events: EventPhase, seed: number) {
  const requests = {
    calm: undefined,
    errors: { errorRate: 0.15 },
    timeouts: { timeoutRate: 0.08, timeoutMs: TIMEOUT_MS },
    // 1C has no REST rate limit; its counterpart is the lock conflict.
    "rate-limits": { lockRate: 0.15 },
    mixed: { errorRate: 0.05, lockRate: 0.05, timeoutRate: 0.03, timeoutMs: TIMEOUT_MS, commitThenFailRate: 0.05, latencyMs: 100 },
  }[api];
  const deliveries = eventFaults(events);
  return { ...(requests ? { "*": requests } : {}), ...(deliveries ? { notifications: deliveries } : {}), seed };
}

function eventFaults(phase: EventPhase) {
  return {
    calm: undefined,
    duplicates: { duplicateRate: 0.5 },
    reorder: { reorder: true, reorderWindowMs: 1_500 },
    delays: { delayMs: 3_000 },
    drops: { dropRate: 0.1, duplicateRate: 0.2 },
  }[phase];
}

/**
 * Events lost on purpose: while a side is "losing", its sandbox drops every event (Bitrix24) or
 * notification (1C) — the workload's delete or edit made meanwhile reaches Concord only through
 * a sweep or the existence check. Others' events in the same moment are lost too, as when a
 * handler is down. The fault runner owns the sandboxes' fault configuration; this only asks it
 * to apply the drop on top of whatever phase runs.
 */
export interface EventLoss {
  during<T>(side: "bitrix24" | "onec", work: () => Promise<T>): Promise<T>;
  /** Events lost this way, per side (sandbox counts while the drop was on). */
  windows(): { bitrix24: number; onec: number };
  losing(side: "bitrix24" | "onec"): boolean;
  /** Set by the fault runner: re-applies one sandbox's configuration. */
  bind(apply: (side: "bitrix24" | "onec") => Promise<void>): void;
}

export function createEventLoss(): EventLoss {
  const active = { bitrix24: 0, onec: 0 };
  const count = { bitrix24: 0, onec: 0 };
  let apply: (side: "bitrix24" | "onec") => Promise<void> = async () => undefined;
  // One change of a sandbox's configuration at a time, in order.
  let chain: Promise<void> = Promise.resolve();
  const reapply = (side: "bitrix24" | "onec") => (chain = chain.then(() => apply(side)).catch(() => undefined));
  return {
    async during(side, work) {
      active[side]++;
      count[side]++;
      await reapply(side);
      try {
        return await work();
      } finally {
        // The sandbox decides a drop when the event is queued, right after the write.
        await sleep(300);
        active[side]--;
        await reapply(side);
      }
    },
    windows: () => ({ ...count }),
    losing: (side) => active[side] > 0,
    bind(fn) {
      apply = fn;
    },
  };
}

/** Another client of the same portal: its own calls, as fast as it may, until stopped. */
function startNoisyNeighbour(url: string): { stop(): Promise<{ calls: number; refused: number }> } {
  let running = true;
  let calls = 0;
  let refused = 0;
  const loop = (async () => {
    while (running) {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ select: ["ID"] }), signal: AbortSignal.timeout(10_000) }).catch(() => null);
      calls++;
      if (!response || !response.ok) refused++;
      await response?.text().catch(() => undefined);
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { calls, refused };
    },
  };
}

export interface FaultCounts {
  kills: Record<string, number>;
  killsSkipped: number;
  natsRestarts: number;
  postgresRestarts: number;
  /** Seconds spent in each API and event phase. */
  apiPhaseSeconds: Record<string, number>;
  eventPhaseSeconds: Record<string, number>;
  /** Issue 10/11 phases as they ran: seconds of slow commits, of 1C outage (500s, then silence) and of the noisy neighbour, with its calls. */
  slowCommitSeconds: number;
  outageSeconds: { errors: number; silent: number };
  neighbour: { seconds: number; calls: number; refused: number };
  /** When the 1C outage started and ended (ms since the epoch). */
  outageWindow: { from: number; to: number } | null;
  failures: string[];
}

const put = (body: unknown): RequestInit => ({ method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Plays the schedule against the clock that started at `startedAt`; returns once every fault is off and every killed process is back. */
export async function runFaults(
  plan: FaultPlan,
  deps: { profile: Profile; chaos: ChaosSystem; nats: OwnServer; postgres: OwnServer; clients: Clients; log: (line: string) => void; loss: EventLoss; neighbourUrl: string },
  startedAt: number,
  stopped: () => boolean,
): Promise<FaultCounts> {
  const { chaos, clients, log } = deps;
  const counts: FaultCounts = {
    kills: {},
    killsSkipped: 0,
    natsRestarts: 0,
    postgresRestarts: 0,
    apiPhaseSeconds: {},
    eventPhaseSeconds: {},
    slowCommitSeconds: 0,
    outageSeconds: { errors: 0, silent: 0 },
    neighbour: { seconds: 0, calls: 0, refused: 0 },
    outageWindow: null,
    failures: [],
  };
  const reviving = new Map<string, Promise<void>>();
  let api: ApiPhase = "calm";
  let events: EventPhase = "calm";
  let since = startedAt;
  let seed = 0;
  let over = false;
  const overlay: OnecOverlay = { outage: null, slowCommits: false };
  let overlaySince = startedAt;
  let neighbour: ReturnType<typeof startNoisyNeighbour> | null = null;
  let neighbourSince = 0;
  const timeoutMs = deps.profile.onecTimeoutMs;
  // Every change of a sandbox's faults goes through here: a PUT replaces its whole configuration
  // (and re-seeds its dice), so the phase, the overlays and a loss window are composed each time.
  const drop = { dropRate: 1 };
  const apply = async (side: "bitrix24" | "onec") => {
    if (side === "bitrix24") {
      const config: Record<string, unknown> = over ? {} : bitrix24Faults(api, events, seed);
      if (deps.loss.losing("bitrix24")) config.events = drop;
      await clients.b24Admin("faults", over && !deps.loss.losing("bitrix24") ? { method: "DELETE" } : put(config));
    } else {
      const config: Record<string, unknown> = over ? {} : onecFaults(api, events, seed, overlay, timeoutMs);
      if (deps.loss.losing("onec")) config.notifications = drop;
      await clients.onecAdmin("faults", over && !deps.loss.losing("onec") ? { method: "DELETE" } : put(config));
    }
  };
  deps.loss.bind(apply);
  const closeOverlay = (now: number) => {
    if (overlay.outage) counts.outageSeconds[overlay.outage] += (now - overlaySince) / 1000;
    if (overlay.slowCommits) counts.slowCommitSeconds += (now - overlaySince) / 1000;
    overlaySince = now;
  };
  const closePhases = (now: number) => {
    counts.apiPhaseSeconds[api] = (counts.apiPhaseSeconds[api] ?? 0) + (now - since) / 1000;
    counts.eventPhaseSeconds[events] = (counts.eventPhaseSeconds[events] ?? 0) + (now - since) / 1000;
    since = now;
  };

  for (const event of plan.events) {
    if (stopped()) break;
    const wait = startedAt + event.at - Date.now();
    if (wait > 0) await sleep(wait);
    try {
      if (event.kind === "kill") {
        // The drawn victim, or the next one that is up (a process still coming back is skipped).
        const names = chaos.services;
        const victim = names.map((_, i) => names[(event.victim + i) % names.length] as string).find((n) => !reviving.has(n) && chaos.system.process(n).running);
        if (!victim) {
          counts.killsSkipped++;
          continue;
        }
        await chaos.kill(victim);
        const app = victim.replace(/-\d+$/, "");
        counts.kills[app] = (counts.kills[app] ?? 0) + 1;
        log(`  fault: SIGKILL ${victim} (down ${event.downMs} ms)`);
        const back = sleep(event.downMs)
          .then(() => chaos.revive(victim))
          .catch((error: unknown) => void counts.failures.push(`restart of ${victim}: ${(error as Error).message}`))
          .finally(() => reviving.delete(victim));
        reviving.set(victim, back);
      } else if (event.kind === "nats-restart") {
        log("  fault: restarting NATS");
        await deps.nats.restart();
        counts.natsRestarts++;
      } else if (event.kind === "postgres-restart") {
        log("  fault: restarting PostgreSQL");
        await deps.postgres.restart();
        counts.postgresRestarts++;
      } else if (event.kind === "slow-commits" || event.kind === "onec-outage") {
        closeOverlay(Date.now());
        if (event.kind === "slow-commits") overlay.slowCommits = event.on;
        else {
          overlay.outage = event.state === "over" ? null : event.state;
          if (event.state === "errors") counts.outageWindow = { from: Date.now(), to: Date.now() };
          if (event.state === "over" && counts.outageWindow) counts.outageWindow.to = Date.now();
        }
        log(`  fault: ${event.kind === "slow-commits" ? `1C slow commits ${event.on ? "on" : "off"}` : `1C outage: ${event.state === "errors" ? "every request answered 500" : event.state === "silent" ? "no answer at all" : "over"}`}`);
        await apply("onec");
      } else if (event.kind === "noisy-neighbour") {
        if (event.on && !neighbour) {
          // The portal's budget as a standard plan's (a bucket of 50, 2 requests/s), spent by another client.
          await clients.b24Admin("rate-limit", put({ capacity: 50, drainPerSec: 2 }));
          neighbour = startNoisyNeighbour(deps.neighbourUrl);
          neighbourSince = Date.now();
          log("  fault: noisy neighbour on (portal budget 50, 2/s, spent by another client)");
        } else if (!event.on && neighbour) {
          const done = await neighbour.stop();
          neighbour = null;
          counts.neighbour = { seconds: (Date.now() - neighbourSince) / 1000, ...done };
          await clients.b24Admin("rate-limit", put({ capacity: 100_000, drainPerSec: 1_000 }));
          log(`  fault: noisy neighbour off (${done.calls} calls, ${done.refused} refused)`);
        }
      } else {
        closePhases(Date.now());
        if (event.kind === "api") api = event.phase;
        else events = event.phase;
        seed = event.seed;
        // A phase switch is an idempotent PUT to each sandbox: on an overloaded machine one can time
        // out (the long run's load reached 75) without anything being wrong with the system.
        for (let attempt = 1; ; attempt++) {
          try {
            await apply("bitrix24");
            await apply("onec");
            break;
          } catch (error) {
            if (attempt >= 3) throw error;
            await sleep(1_000);
          }
        }
      }
    } catch (error) {
      counts.failures.push(`${event.kind}: ${(error as Error).message}`);
    }
  }
  const end = startedAt + deps.profile.faultWindowMs;
  if (!stopped() && end > Date.now()) await sleep(end - Date.now());
  closePhases(Date.now());
  closeOverlay(Date.now());
  if (counts.outageWindow && overlay.outage) counts.outageWindow.to = Date.now();
  if (neighbour) {
    const done = await neighbour.stop();
    counts.neighbour = { seconds: (Date.now() - neighbourSince) / 1000, ...done };
    await clients.b24Admin("rate-limit", put({ capacity: 100_000, drainPerSec: 1_000 }));
  }
  over = true;
  await apply("bitrix24");
  await apply("onec");
  await Promise.all(reviving.values());
  return counts;
}
