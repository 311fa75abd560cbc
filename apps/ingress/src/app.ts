import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from "express";
import { connectBus, ensureStreams, publishJson, type Bus } from "@concord/bus";
import {
  changeEventId,
  createSubjects,
  outcomeId,
  SchemaVersions,
  type ChangeEvent,
  type Outcome,
  type Subjects,
} from "@concord/contracts";
import {
  createLogger,
  currentTraceId,
  masker,
  metrics,
  renderMetrics,
  SpanKind,
  SpanStatusCode,
  withSpan,
  type Logger,
  type Span,
} from "@concord/telemetry";
import type { IngressConfig } from "./config";
import { parseBitrix24Webhook } from "./bitrix24-webhook";
import { createSourceRateLimit } from "./rate-limit";
import { authenticateOnec, parseOnecNotification } from "./onec-webhook";
import type { Rejection, WebhookResult } from "./rejection";

/** What a publish may cost an HTTP caller: attempts × timeout plus backoff stays well under a sender's 15 s. */
const DEFAULT_PUBLISH = { attempts: 3, timeoutMs: 2000 };
const RETRY_AFTER_S = 5;
/** How long /readyz waits for JetStream to confirm the streams exist. */
const READY_CHECK_TIMEOUT_MS = 2000;

export interface PublishSettings {
  attempts?: number;
  timeoutMs?: number;
}

export interface ServerOptions {
  config: IngressConfig;
  subjects: Subjects;
  logger: Logger;
  /** The bus once connected and the streams exist; undefined answers webhooks with 503. */
  bus: () => Bus | undefined;
  /** Readiness of the process (connected, streams ensured, not stopping). */
  ready: () => boolean;
  now?: () => Date;
  publish?: PublishSettings;
  /** Registers request work that shutdown waits for before draining the bus. */
  track?: (work: Promise<unknown>) => void;
  /** True once shutdown began: responses ask the client to close the connection. */
  stopping?: () => boolean;
}

interface RequestLog {
  system?: string;
  entity?: string;
  sourceId?: string;
  msgId?: string;
  webhookId?: string;
  duplicate?: boolean;
  reason?: string;
  traceId?: string | null;
}

const logOf = (res: Response): RequestLog => {
  res.locals.log ??= {};
  return res.locals.log as RequestLog;
};

function sendRejection(res: Response, span: Span, rejection: Rejection): void {
  Object.assign(logOf(res), { reason: rejection.reason ?? rejection.error });
  span.setAttribute("http.response.status_code", rejection.status);
  const body = rejection.reason === undefined ? { error: rejection.error } : { error: rejection.error, reason: rejection.reason };
  res.status(rejection.status).json(body);
}

function mediaType(req: Request): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

/** 415 before the body is read, so a wrong sender does not cost a body's worth of buffering. */
function requireMediaType(expected: string): RequestHandler {
  return (req, res, next) => {
    if (mediaType(req) === expected) return next();
    res.status(415).json({ error: "unsupported media type", reason: `expected ${expected}` });
  };
}

/** What became of a webhook, for `concord_events_in_total`: read from the answer it got. */
function eventResult(res: Response): string {
  if (res.statusCode === 202) return logOf(res).duplicate ? "duplicate" : "accepted";
  if (res.statusCode === 429) return "rate_limited";
  if (res.statusCode >= 500) return "unavailable";
  return "rejected";
}

const methodNotAllowed: RequestHandler = (_req, res) => {
  res.set("Allow", "POST").status(405).json({ error: "method not allowed" });
};

/** body-parser failures carry a status and a type; map them to the JSON errors of this API. */
const errorHandler =
  (logger: Logger): ErrorRequestHandler =>
  (error: unknown, _req, res, _next) => {
    const status = (error as { status?: unknown })?.status;
    const type = (error as { type?: unknown })?.type;
    if (res.headersSent) {
      logger.error("error after the response was sent", { error });
      return;
    }
    if (status === 413) {
      res.status(413).json({ error: "payload too large", reason: type === "parameters.too.many" ? "too many form fields" : "body exceeds the limit" });
    } else if (status === 415) {
      res.status(415).json({ error: "unsupported media type", reason: masker.text((error as Error).message) });
    } else if (typeof status === "number" && status >= 400 && status < 500) {
      Object.assign(logOf(res), { reason: String(type ?? "bad request") });
      res.status(status).json({ error: "malformed body", reason: masker.text((error as Error).message) });
    } else {
      logger.error("request failed", { error });
      res.status(500).json({ error: "internal error" });
    }
  };

/**
 * The HTTP API as an express app, without listening: tests drive it directly. Every webhook
 * runs in a SERVER span so the trace continues into the NATS headers of what it publishes.
 */
export function createServer(options: ServerOptions): Express {
  const { config, subjects, logger } = options;
  const now = options.now ?? (() => new Date());
  const publish = { ...DEFAULT_PUBLISH, ...options.publish };
  const track = options.track ?? (() => undefined);
  const stopping = options.stopping ?? (() => false);
  const limit = config.INGRESS_BODY_LIMIT;
  const sources = createSourceRateLimit(config.INGRESS_RATE_PER_SEC, config.INGRESS_RATE_BURST);

  /** 429 when the source is over its rate (after authentication: a stranger cannot spend a source's budget). */
  function overRate(res: Response, span: Span, source: string): boolean {
    const waitMs = sources.take(source, now().getTime());
    if (waitMs === null) return false;
    Object.assign(logOf(res), { rateLimited: source });
    span.setAttribute("http.response.status_code", 429);
    res.set("Retry-After", String(Math.max(1, Math.ceil(waitMs / 1000)))).status(429).json({ error: "too many events", reason: `more than ${config.INGRESS_RATE_PER_SEC}/s from this source` });
    return true;
  }

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  // One line per request: ids, status and latency only — never bodies, tokens or signatures.
  app.use((req, res, next) => {
    const started = performance.now();
    res.on("close", () => {
      const { traceId, ...ids } = logOf(res);
      const line = {
        method: req.method,
        path: req.path.slice(0, 200),
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
        aborted: !res.writableFinished || undefined,
        ...ids,
        trace_id: traceId ?? undefined,
      };
      const probe = req.path === "/healthz" || req.path === "/readyz";
      logger.log(probe ? "debug" : res.statusCode >= 500 ? "warn" : "info", "request", line);
    });
    if (stopping()) res.set("Connection", "close");
    next();
  });

  // Prometheus scrape (metrics hold no record ids and no secrets: bounded labels only).
  app.get("/metrics", async (_req, res) => {
    const { contentType, body } = await renderMetrics();
    res.type(contentType).send(body);
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.get("/readyz", async (_req, res) => {
    const ok = options.ready() && (await streamsExist(options.bus(), subjects));
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "not ready" });
  });

  /** Publishes the event and answers 202 only with JetStream's ack in hand; then reports the outcome. */
  async function accept(res: Response, span: Span, result: Extract<WebhookResult, { ok: true }>, started: number) {
    const { event, detail } = result;
    const msgId = changeEventId(event);
    Object.assign(logOf(res), { system: event.system, entity: event.entity, sourceId: event.sourceId, msgId });
    span.setAttributes({
      "concord.system": event.system,
      "concord.entity": event.entity,
      "concord.source_id": event.sourceId,
      "messaging.message.id": msgId,
    });
    const bus = options.bus();
    let ack: Awaited<ReturnType<typeof publishJson>>;
    try {
      if (!bus) throw new Error("the bus is not connected yet");
      ack = await publishJson(bus.js, subjects.event(event.system, event.entity), event, {
        msgId,
        schema: SchemaVersions.change,
        ...publish,
      });
    } catch (error) {
      logger.warn("event not accepted: publish failed", { msgId, error });
      span.setStatus({ code: SpanStatusCode.ERROR, message: "publish failed" });
      span.setAttribute("http.response.status_code", 503);
      res.set("Retry-After", String(RETRY_AFTER_S)).status(503).json({ error: "not accepted, retry later" });
      return;
    }
    logOf(res).duplicate = ack.duplicate;
    span.setAttributes({ "http.response.status_code": 202, "messaging.duplicate": ack.duplicate });
    res.status(202).json({ accepted: true, id: msgId, duplicate: ack.duplicate });
    if (!ack.duplicate) metrics.outcomes.inc({ stage: "ingress", result: "accepted", system: event.system, entity: event.entity });
    await publishOutcome(bus, event, msgId, detail, performance.now() - started);
  }

  /** Best effort: the event is durable already, so a lost outcome never changes the answer. */
  async function publishOutcome(bus: Bus, event: ChangeEvent, msgId: string, detail: string, durationMs: number) {
    const outcome: Outcome = {
      v: 1,
      type: "outcome",
      stage: "ingress",
      messageId: msgId,
      subject: { system: event.system, entity: event.entity, id: event.sourceId },
      target: null,
      result: "accepted",
      detail,
      attempts: 1,
      durationMs: Math.round(durationMs * 10) / 10,
      traceId: currentTraceId(),
      error: null,
      at: now().toISOString(),
    };
    try {
      await publishJson(bus.js, subjects.outcome(event.system, event.entity), outcome, {
        msgId: outcomeId(outcome),
        schema: SchemaVersions.outcome,
        attempts: 1,
        timeoutMs: publish.timeoutMs,
      });
    } catch (error) {
      logger.warn("outcome not published", { msgId, error });
    }
  }

  const webhook =
    (system: "bitrix24" | "onec", handle: (req: Request, res: Response, span: Span, started: number) => Promise<void>): RequestHandler =>
    (req, res) => {
      const started = performance.now();
      const work = withSpan(
        `webhook ${system}`,
        { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST", "url.path": req.path, "concord.system": system } },
        async (span) => {
          Object.assign(logOf(res), { system, traceId: currentTraceId() });
          try {
            await handle(req, res, span, started);
          } finally {
            metrics.eventsIn.inc({ source: system, result: eventResult(res) });
          }
        },
      );
      track(work);
      return work;
    };

  app.post(
    "/webhooks/bitrix24",
    requireMediaType("application/x-www-form-urlencoded"),
    express.urlencoded({ extended: true, limit }),
    webhook("bitrix24", async (req, res, span, started) => {
      const result = parseBitrix24Webhook(req.body ?? {}, config.B24_APPLICATION_TOKEN, now());
      if (!result.ok) return sendRejection(res, span, result.rejection);
      // One source per credential: the application token is the portal's (a forged `domain` must not open a new bucket).
      if (overRate(res, span, "bitrix24")) return;
      await accept(res, span, result, started);
    }),
  );
  app.all("/webhooks/bitrix24", methodNotAllowed);

  app.post(
    "/webhooks/1c",
    requireMediaType("application/json"),
    // Raw bytes: the signature covers the body exactly as sent; parsing comes after verifying.
    express.raw({ type: "*/*", limit }),
    webhook("onec", async (req, res, span, started) => {
      const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const auth = authenticateOnec(
        { id: req.get("webhook-id"), timestamp: req.get("webhook-timestamp"), signature: req.get("webhook-signature"), body: raw },
        { secret: config.ONEC_WEBHOOK_SECRET, toleranceS: config.ONEC_WEBHOOK_TOLERANCE_S, nowS: Math.floor(now().getTime() / 1000) },
      );
      if (!auth.ok) return sendRejection(res, span, auth.rejection);
      logOf(res).webhookId = auth.webhookId;
      span.setAttribute("webhook.id", auth.webhookId);
      if (overRate(res, span, "onec")) return;
      const result = parseOnecNotification(raw, now());
      if (!result.ok) return sendRejection(res, span, result.rejection);
      await accept(res, span, result, started);
    }),
  );
  app.all("/webhooks/1c", methodNotAllowed);

  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  app.use(errorHandler(logger));
  return app;
}

async function streamsExist(bus: Bus | undefined, subjects: Subjects): Promise<boolean> {
  if (!bus) return false;
  const check = Promise.all([bus.jsm.streams.info(subjects.streams.events), bus.jsm.streams.info(subjects.streams.outcomes)]).then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface AppDeps {
  logger?: Logger;
  /** A connection to share (tests); the app then leaves closing it to the caller. */
  bus?: Bus;
  now?: () => Date;
  publish?: PublishSettings;
}

export interface IngressApp {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
  ready(): boolean;
}

/**
 * Wires the ingress by hand: HTTP first (so /healthz answers while NATS is still coming up and
 * webhooks get 503 rather than a refused connection), then the bus and the streams.
 */
export function createApp(config: IngressConfig, deps: AppDeps = {}): IngressApp {
  const logger = deps.logger ?? createLogger("ingress", config.LOG_LEVEL);
  const subjects = createSubjects(config.CONCORD_NAMESPACE);
  const ownsBus = deps.bus === undefined;
  let bus: Bus | undefined;
  let connected = false;
  let stopping = false;
  let server: Server | undefined;
  const inflight = new Set<Promise<unknown>>();

  const track = (work: Promise<unknown>) => {
    inflight.add(work);
    void work.catch(() => undefined).finally(() => inflight.delete(work));
  };

  const watchConnection = async (b: Bus) => {
    for await (const status of b.nc.status()) {
      if (status.type === "disconnect") {
        connected = false;
        logger.warn("NATS disconnected");
      } else if (status.type === "reconnect") {
        connected = true;
        logger.info("NATS reconnected");
      }
    }
  };

  const ready = () => !stopping && server !== undefined && bus !== undefined && connected && !bus.nc.isClosed();

  return {
    ready,

    async start() {
      const app = createServer({
        config,
        subjects,
        logger,
        bus: () => bus,
        ready,
        now: deps.now,
        publish: deps.publish,
        track,
        stopping: () => stopping,
      });
      const http = createHttpServer(app);
      // A slow or stalled sender must not hold a socket forever.
      http.requestTimeout = 30_000;
      http.headersTimeout = 10_000;
      await new Promise<void>((resolve, reject) => {
        http.once("error", reject);
        http.listen(config.INGRESS_PORT, config.INGRESS_HOST, () => {
          http.off("error", reject);
          resolve();
        });
      });
      server = http;
      const port = (http.address() as AddressInfo).port;
      logger.info("listening", { host: config.INGRESS_HOST, port });

      // Until NATS answers, /healthz is 200 and /readyz and the webhooks are 503.
      if (!deps.bus) logger.info("connecting to NATS", { servers: config.NATS_URL });
      const b = deps.bus ?? (await connectBus(config.NATS_URL, "ingress"));
      connected = !b.nc.isClosed();
      watchConnection(b).catch((error: unknown) => logger.warn("NATS status watch ended", { error }));
      await ensureStreams(b.jsm, subjects);
      bus = b;
      logger.info("ready", { streams: subjects.streams });
      return { port };
    },

    async stop() {
      if (stopping) return;
      // Reverse of start: readiness off, stop accepting, let in-flight webhooks finish their
      // publish and answer, and only then drain NATS (draining first would fail their acks).
      stopping = true;
      const http = server;
      const closed = new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      // Answered keep-alive sockets are idle now; anything still open after a grace period is
      // a client that sent nothing more, and the answers it was owed are already written.
      http?.closeIdleConnections();
      const grace = setTimeout(() => http?.closeAllConnections(), 2000);
      await closed;
      clearTimeout(grace);
      if (ownsBus && bus && !bus.nc.isClosed()) await bus.nc.drain();
      logger.info("stopped");
    },
  };
}
