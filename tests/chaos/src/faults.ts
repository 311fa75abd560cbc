import { setTimeout as sleep } from "node:timers/promises";
import type { Clients } from "./clients";
import type { OwnServer } from "@concord/launcher";
import type { ChaosSystem } from "./infra";
import type { Profile } from "./profiles";
import type { Random } from "./prng";

/**
 * The fault schedule, drawn from the seed: SIGKILL of a random service (never a sandbox) every
 * few seconds and its restart; phases of API faults (5xx, timeouts, rate limits / lock
 * conflicts, commit-then-fail) and of event faults (duplicated, reordered, delayed, dropped
 * deliveries) on both sandboxes; one restart of NATS and one of PostgreSQL.
 */

export const API_PHASES = ["calm", "errors", "timeouts", "rate-limits", "mixed"] as const;
export const EVENT_PHASES = ["calm", "duplicates", "reorder", "delays", "drops"] as const;
type ApiPhase = (typeof API_PHASES)[number];
type EventPhase = (typeof EVENT_PHASES)[number];

type FaultEvent =
  | { at: number; kind: "kill"; victim: number; downMs: number }
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

function onecFaults(api: ApiPhase, events: EventPhase, seed: number) {
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

export interface FaultCounts {
  kills: Record<string, number>;
  killsSkipped: number;
  natsRestarts: number;
  postgresRestarts: number;
  /** Seconds spent in each API and event phase. */
  apiPhaseSeconds: Record<string, number>;
  eventPhaseSeconds: Record<string, number>;
  failures: string[];
}

const put = (body: unknown): RequestInit => ({ method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Plays the schedule against the clock that started at `startedAt`; returns once every fault is off and every killed process is back. */
export async function runFaults(
  plan: FaultPlan,
  deps: { profile: Profile; chaos: ChaosSystem; nats: OwnServer; postgres: OwnServer; clients: Clients; log: (line: string) => void },
  startedAt: number,
  stopped: () => boolean,
): Promise<FaultCounts> {
  const { chaos, clients, log } = deps;
  const counts: FaultCounts = { kills: {}, killsSkipped: 0, natsRestarts: 0, postgresRestarts: 0, apiPhaseSeconds: {}, eventPhaseSeconds: {}, failures: [] };
  const reviving = new Map<string, Promise<void>>();
  let api: ApiPhase = "calm";
  let events: EventPhase = "calm";
  let since = startedAt;
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
      } else {
        closePhases(Date.now());
        if (event.kind === "api") api = event.phase;
        else events = event.phase;
        // A PUT replaces a sandbox's whole fault configuration (and re-seeds its dice).
        await clients.b24Admin("faults", put(bitrix24Faults(api, events, event.seed)));
        await clients.onecAdmin("faults", put(onecFaults(api, events, event.seed)));
      }
    } catch (error) {
      counts.failures.push(`${event.kind}: ${(error as Error).message}`);
    }
  }
  const end = startedAt + deps.profile.faultWindowMs;
  if (!stopped() && end > Date.now()) await sleep(end - Date.now());
  closePhases(Date.now());
  await clients.b24Admin("faults", { method: "DELETE" });
  await clients.onecAdmin("faults", { method: "DELETE" });
  await Promise.all(reviving.values());
  return counts;
}
