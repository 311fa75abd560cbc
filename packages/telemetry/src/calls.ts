import { AsyncLocalStorage } from "node:async_hooks";
import { masker } from "./masking";
import { metrics } from "./metrics";

/** One call to a target as the exchange log keeps it: what, how it ended, how long, which attempt. */
export interface TargetCall {
  target: "bitrix24" | "onec";
  /** The Bitrix24 method (`crm.deal.update`), or the 1C verb and set (`PATCH Document_ЗаказКлиента(…)`): never an id or a URL. */
  call: string;
  /** HTTP status (a batched Bitrix24 call: its own command's), or null when no answer came. */
  status: number | null;
  /** From the call's start to its answer, a wait for a rate-limit token included. */
  durationMs: number;
  /** 1 for the first try; the client's quick retries of an idempotent call count up. */
  attempt: number;
  /** The failure, masked; null when it succeeded. */
  error: string | null;
  at: string;
}

/** Most calls one outcome carries; beyond them only their number is kept (an outcome stays small whatever a handler does). */
export const MAX_CALLS_PER_OUTCOME = 50;

interface Scope {
  calls: TargetCall[];
  dropped: number;
}

const storage = new AsyncLocalStorage<Scope>();

/**
 * Runs `work` with a scope of its own that collects the target calls made inside it (the
 * consumer runs each delivery so), for the outcome reported at its end. Calls made outside any
 * scope — sweeps, snapshot reads for the resolver — are measured by the metrics only.
 */
export function collectCalls<T>(work: () => Promise<T>): Promise<T> {
  return storage.run({ calls: [], dropped: 0 }, work);
}

/** Records a finished call in the current scope (masked), when there is one. */
export function recordTargetCall(call: Omit<TargetCall, "at" | "error"> & { error?: string | null; at?: Date }): void {
  const scope = storage.getStore();
  if (!scope) return;
  if (scope.calls.length >= MAX_CALLS_PER_OUTCOME) {
    scope.dropped++;
    return;
  }
  scope.calls.push({
    target: call.target,
    call: masker.text(call.call).slice(0, 200),
    status: call.status,
    durationMs: Math.round(call.durationMs),
    attempt: call.attempt,
    error: call.error ? masker.text(call.error).slice(0, 500) : null,
    at: (call.at ?? new Date()).toISOString(),
  });
}

/** The calls collected since the last take, and how many did not fit; the scope starts empty again. */
export function takeCalls(): { calls: TargetCall[]; dropped: number } {
  const scope = storage.getStore();
  if (!scope) return { calls: [], dropped: 0 };
  const taken = { calls: scope.calls, dropped: scope.dropped };
  scope.calls = [];
  scope.dropped = 0;
  return taken;
}

/** Counts one HTTP request to a target and its duration (the metrics side of every call). */
export function observeTargetRequest(target: "bitrix24" | "onec", method: string, status: number | "timeout" | "network", seconds: number): void {
  metrics.targetRequests.inc({ target, method, status: String(status) });
  metrics.targetSeconds.observe({ target, method }, seconds);
}
