// The inbound webhook endpoint: /rest/<user>/<token>/<method>[.json].
// Order of checks: auth → method exists → rate limit → injected faults → parameters → method.
// Faults are decided before the method runs, so an injected error never half-writes.

import type { NextFunction, Request, Response } from "express";
import { runBatch, type InnerCall } from "./batch";
import type { SandboxConfig } from "./config";
import { restErrors, RestError } from "./errors";
import type { Faults, MethodFaultDecision } from "./faults";
import type { MethodHandler, MethodOutcome } from "./methods";
import { isPlainObject, normalizeParams, parseBracketQuery, type Params } from "./params";
import type { LeakyBucket } from "./rate-limit";
import type { Stats } from "./stats";
import { formatDateTime } from "./time";

export interface RestDeps {
  config: SandboxConfig;
  methods: Map<string, MethodHandler>;
  faults: Faults;
  stats: Stats;
  bucket: LeakyBucket;
  /** Timers of "hanging" requests, cleared on stop. */
  hangs: Set<NodeJS.Timeout>;
}

/** The `time` block of every answer (shape from the vendor resultExamples). */
export function makeTime(startMs: number, endMs: number): Record<string, unknown> {
  const seconds = (endMs - startMs) / 1000;
  return {
    start: startMs / 1000,
    finish: endMs / 1000,
    duration: seconds,
    processing: seconds,
    date_start: formatDateTime(startMs),
    date_finish: formatDateTime(endMs),
    operating_reset_at: Math.floor(startMs / 1000) + 600,
    operating: 0,
  };
}

function faultError(decision: MethodFaultDecision): RestError | null {
  switch (decision.kind) {
    case "rateLimit":
      return restErrors.queryLimit();
    case "operationLimit":
      return restErrors.operationLimit();
    case "error":
      return restErrors.internal();
    default:
      return null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createRestHandler(deps: RestDeps) {
  const { config, methods, faults, stats, bucket } = deps;

  const countFault = (decision: MethodFaultDecision): void => {
    if (decision.kind === "error") stats.fault("error");
    else if (decision.kind === "rateLimit") stats.fault("rateLimit");
    else if (decision.kind === "operationLimit") stats.fault("operationLimit");
    else if (decision.kind === "timeout") stats.fault("timeout");
  };

  /** Runs one method, mapping anything unexpected to INTERNAL_SERVER_ERROR. */
  const execute = (method: string, handler: MethodHandler, params: Params, raw: Params): MethodOutcome => {
    try {
      const outcome = handler({ params, raw });
      stats.methodResult(method, true);
      return outcome;
    } catch (err) {
      stats.methodResult(method, false);
      if (err instanceof RestError) throw err;
      process.stderr.write(`sandbox-bitrix24: ${method} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      throw restErrors.internal();
    }
  };

  /** A command inside a batch: same faults (except latency/timeouts), no rate-limit unit of its own. */
  const inner: InnerCall = (method, params, raw) => {
    const started = Date.now();
    const handler = methods.get(method);
    if (!handler) {
      stats.methodResult(method, false);
      return { ok: false, error: restErrors.methodNotFound() };
    }
    const decision = faults.decide(method);
    const injected = faultError(decision);
    if (injected) {
      countFault(decision);
      stats.methodResult(method, false);
      return { ok: false, error: injected };
    }
    try {
      const outcome = execute(method, handler, params, raw);
      return { ok: true, outcome, time: makeTime(started, Date.now()) };
    } catch (err) {
      return { ok: false, error: err as RestError };
    }
  };

  const sendError = (res: Response, err: RestError): void => {
    res.status(err.status).json(err.toBody());
  };

  return async (req: Request, res: Response, _next: NextFunction): Promise<void> => {
    const started = Date.now();
    stats.request();
    const segments = req.path.split("/").filter((s) => s !== "").map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    if (segments.length !== 3 || segments[0] !== String(config.userId) || segments[1] !== config.webhookToken) {
      stats.authFailed();
      sendError(res, restErrors.noAuth());
      return;
    }
    const method = (segments[2] as string).toLowerCase().replace(/\.json$/, "");
    res.locals.b24Method = method;
    const handler = methods.get(method);
    if (!handler && method !== "batch") {
      stats.methodResult(method, false);
      sendError(res, restErrors.methodNotFound());
      return;
    }
    if (!bucket.tryTake()) {
      stats.rateLimited();
      stats.methodResult(method, false);
      sendError(res, restErrors.queryLimit());
      return;
    }

    const decision = faults.decide(method);
    countFault(decision);
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.kind === "timeout") {
      // Like the cloud's 60 s cut-off: no answer, then the connection is dropped.
      stats.methodResult(method, false);
      const timer = setTimeout(() => {
        deps.hangs.delete(timer);
        req.socket.destroy();
      }, decision.timeoutMs);
      deps.hangs.add(timer);
      req.socket.once("close", () => {
        clearTimeout(timer);
        deps.hangs.delete(timer);
      });
      return;
    }
    const injected = faultError(decision);
    if (injected) {
      stats.methodResult(method, false);
      sendError(res, injected);
      return;
    }

    const q = req.originalUrl.indexOf("?");
    const query = q >= 0 ? parseBracketQuery(req.originalUrl.slice(q + 1)) : {};
    const body: unknown = req.body;
    const raw: Params = { ...query, ...(isPlainObject(body) ? body : {}) };
    const params = normalizeParams(raw);

    try {
      if (method === "batch") {
        const result = runBatch(params, inner);
        stats.methodResult(method, true);
        res.status(200).json({ result, time: makeTime(started, Date.now()) });
        return;
      }
      const outcome = execute(method, handler as MethodHandler, params, raw);
      const envelope: Record<string, unknown> = { result: outcome.result };
      if (outcome.next !== undefined) envelope.next = outcome.next;
      if (outcome.total !== undefined) envelope.total = outcome.total;
      envelope.time = makeTime(started, Date.now());
      res.status(200).json(envelope);
    } catch (err) {
      if (method === "batch") stats.methodResult(method, false);
      sendError(res, err instanceof RestError ? err : restErrors.internal());
    }
  };
}
