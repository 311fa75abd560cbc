import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type ErrorRequestHandler, type Express, type Response, type Router } from "express";
import type { z } from "zod";
import { connectBus, createDecisionClient, createDlqClient, createExchangeClient, createFlowModes, ensureStreams, openStateStore, requestCircuits } from "@concord/bus";
import { createSubjects, isSyncError } from "@concord/contracts";
import { masker, startRequestSpan, type Logger } from "@concord/telemetry";
import { answerMetrics } from "@concord/runtime";
import { apiTokensOf, type ConsoleConfig } from "./config";
import { callerOf, requireBearer, requireRole } from "./auth";
import { AuditQuerySchema, BulkRetryBodySchema, DiscardBodySchema, IdParamSchema, ListQuerySchema, ResyncBodySchema, RetryBodySchema, describeIssues } from "./bodies";
import { createOperations, type Operations } from "./operations";
import { createOperatorActions, httpStatusOf } from "./actions";
import { createAuditTrail, type AuditTrail } from "./audit";
import type { ApiToken } from "./tokens";
import { circuitsRoute, type CircuitReport } from "./circuits";
import { DecideBodySchema, DecisionsQuerySchema, type Decisions } from "./decisions";
import { FlowModeBodySchema, WouldBeQuerySchema, createFlowOperations, parseFlowName, switchFlowAudited, type FlowOperations } from "./flows";
import { ReconcileQuerySchema, ReconcileRunsQuerySchema, createReconcileReader, type ReconcileReader } from "./reconcile";
import { AlertsQuerySchema, createAlerting, loadAlertsConfig, type Alerting, type AlertsReader } from "./alerts";
import { connectDb, migrateDb, type DbHandle } from "@concord/db";
import { createWebConsole } from "./web";

export interface ServerOptions {
  /** Every accepted API token, named, with its role. */
  tokens: readonly ApiToken[];
  operations: Operations;
  audit: AuditTrail;
  /** Bus connected and not stopping. */
  ready: () => boolean;
  /** Every target's circuit, from the writers (GET /api/circuits). */
  circuits?: () => Promise<CircuitReport[]>;
  /** Flows: modes, switches, would-be writes (GET/PUT /api/flows). */
  flows?: FlowOperations;
  /** Ambiguous matches waiting for a person (GET /api/decisions, POST /api/decisions/:id). */
  decisions?: Decisions;
  /** Reconcile runs and the resolver's schedule (GET /api/reconcile, GET /api/reconcile/runs). */
  reconcile?: ReconcileReader;
  /** Alerts (GET /api/alerts); absent when CONSOLE_ALERTS_FILE is unset. */
  alerts?: AlertsReader;
  /** The web console's pages (createWebRouter), served at / beside /api; absent without CONSOLE_USERS. */
  web?: Router | undefined;
  logger: Logger;
}

class BadRequest extends Error {}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadRequest(describeIssues(parsed.error));
  return parsed.data;
}

const send = (res: Response, status: number, body: unknown) => void res.status(status).json(body);

/** The operations API as an express app (tests drive it directly). */
export function createServer(options: ServerOptions): Express {
  const { operations: ops } = options;
  const app = express();
  app.disable("x-powered-by");
  // A dead letter's sealed original is for retries only: no reply carries it.
  app.set("json replacer", (key: string, value: unknown) => (key === "sealed" ? undefined : value));
  // A SERVER span per API request (ids in the path collapsed: span names stay few); probes and scrapes have none.
  app.use((req, res, next) => {
    if (req.path === "/healthz" || req.path === "/readyz" || req.path === "/metrics") return next();
    const span = startRequestSpan(`console ${req.method} ${req.path.replace(/\/\d+(?=\/|$)/g, "/:id").slice(0, 100)}`, { "http.request.method": req.method }, next);
    res.on("close", () => {
      span.setAttribute("http.response.status_code", res.statusCode);
      span.end();
    });
  });
  app.use((req, res, next) => {
    const started = Date.now();
    // Method, path and status only: never headers (the token) or bodies.
    res.on("finish", () => options.logger.info("request", { method: req.method, path: req.path, status: res.statusCode, ms: Date.now() - started }));
    next();
  });
  app.get("/healthz", (_req, res) => send(res, 200, { status: "ok" }));
  app.get("/readyz", (_req, res) => (options.ready() ? send(res, 200, { status: "ready" }) : send(res, 503, { status: "not ready" })));
  // Prometheus scrape, unauthenticated like the probes: bounded labels, no ids, no secrets.
  app.get("/metrics", (_req, res) => answerMetrics(res));

  const api = express.Router();
  api.use(requireBearer(options.tokens));
  api.use(express.json({ limit: "64kb" }));
  const viewer = requireRole("viewer");
  const operator = requireRole("operator");
  const { audit } = options;
  // The actions the web pages take too: one audit trail whichever door they came through.
  const actions = createOperatorActions({ operations: ops, audit, decisions: options.decisions });

  api.get("/dlq", viewer, async (req, res) => {
    const query = parse(ListQuerySchema, req.query);
    send(res, 200, await ops.list(query));
  });
  api.post("/dlq/retry", operator, async (req, res) => {
    const body = parse(BulkRetryBodySchema, req.body ?? {});
    if (body.confirm !== true) {
      const { total, deadLetters } = await ops.openMatching(body.filter);
      return send(res, 409, { error: "confirm", reason: "send confirm: true to retry them", wouldRetry: total, ids: deadLetters.map((d) => d.id) });
    }
    const result = await actions.retryMatching(callerOf(res), body.filter, body.refresh);
    send(res, 200, { retried: result.retried.map(({ deadLetter: _d, ...r }) => r), failed: result.failed });
  });
  api.get("/dlq/:id", viewer, async (req, res) => {
    const id = parse(IdParamSchema, req.params.id);
    send(res, 200, await actions.deadLetterDetails(id));
  });
  api.post("/dlq/:id/retry", operator, async (req, res) => {
    const id = parse(IdParamSchema, req.params.id);
    const body = parse(RetryBodySchema, req.body ?? {});
    send(res, 200, await actions.retry(callerOf(res), id, body.refresh));
  });
  api.post("/dlq/:id/discard", operator, async (req, res) => {
    const id = parse(IdParamSchema, req.params.id);
    const body = parse(DiscardBodySchema, req.body ?? {});
    send(res, 200, await actions.discard(callerOf(res), id, body.reason));
  });
  api.post("/resync", operator, async (req, res) => {
    const body = parse(ResyncBodySchema, req.body ?? {});
    const result = await audit.act(callerOf(res), "resync", { kind: "record", id: `${body.system}:${body.entity}:${body.id}` }, async () => {
      const r = await ops.resync(body);
      return { value: r, detail: `published as ${r.messageId}${r.duplicate ? " (duplicate)" : ""}` };
    });
    send(res, 202, result);
  });
  api.get("/audit", viewer, async (req, res) => {
    const query = parse(AuditQuerySchema, req.query);
    send(res, 200, await audit.list(query));
  });
  if (options.circuits) api.get("/circuits", viewer, circuitsRoute(options.circuits));
  const { flows } = options;
  if (flows) {
    const flowOf = (value: unknown) => {
      const parsed = parseFlowName(value);
      if (!parsed.success) throw new BadRequest(`unknown flow "${String(value)}"; expected orders.crmToOnec | orders.onecToCrm | customers | products`);
      return parsed.data;
    };
    api.get("/flows", viewer, async (_req, res) => send(res, 200, { flows: await flows.list() }));
    api.get("/flows/:flow/dry-run", viewer, async (req, res) => send(res, 200, await flows.wouldBeWrites(flowOf(req.params.flow), parse(WouldBeQuerySchema, req.query))));
    // Switching a flow is managing it: admin (the role model in contracts/access.ts), recorded in the audit trail.
    api.put("/flows/:flow", requireRole("admin"), async (req, res) => {
      const flow = flowOf(req.params.flow);
      const body = parse(FlowModeBodySchema, req.body ?? {});
      send(res, 200, await switchFlowAudited(flows, audit, callerOf(res), flow, body));
    });
  }
  const { decisions } = options;
  if (decisions) {
    api.get("/decisions", viewer, async (req, res) => {
      const query = parse(DecisionsQuerySchema, req.query);
      send(res, 200, await decisions.list(query.status, query.limit));
    });
    // Deciding is an operator's action, recorded in the audit trail; the held records resume by themselves.
    api.post("/decisions/:id", operator, async (req, res) => {
      const id = parse(IdParamSchema, req.params.id);
      const body = parse(DecideBodySchema, req.body ?? {});
      send(res, 200, await actions.decide(callerOf(res), id, body));
    });
  }
  const { alerts } = options;
  api.get("/alerts", viewer, async (req, res) => {
    const query = parse(AlertsQuerySchema, req.query);
    if (!alerts) return send(res, 404, { error: "ALERTS_NOT_CONFIGURED", reason: "this console evaluates no alerts: set CONSOLE_ALERTS_FILE (docs/alerts.md)" });
    send(res, 200, await alerts.list(query));
  });
  const { reconcile } = options;
  if (reconcile) {
    // What the last reconcile found (the CLI's or the schedule's): per entity the newest run that ended, a newer one without a report yet, and the schedule.
    api.get("/reconcile", viewer, async (req, res) => send(res, 200, await reconcile.view(parse(ReconcileQuerySchema, req.query))));
    api.get("/reconcile/runs", viewer, async (req, res) => {
      const query = parse(ReconcileRunsQuerySchema, req.query);
      send(res, 200, await reconcile.runs({ ...(query.entity ? { entity: query.entity } : {}), ...(query.trigger ? { trigger: query.trigger } : {}), limit: query.limit, driftLimit: query.drift }));
    });
  }
  api.use((_req, res) => send(res, 404, { error: "not found" }));
  app.use("/api", api);
  if (options.web) app.use(options.web);
  app.use((_req, res) => send(res, 404, { error: "not found" }));

  const errors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    if (res.headersSent) return;
    if (error instanceof BadRequest) return send(res, 400, { error: "bad request", reason: masker.text(error.message) });
    const parserStatus = (error as { status?: unknown; type?: unknown })?.status;
    if (typeof parserStatus === "number" && parserStatus >= 400 && parserStatus < 500) {
      return send(res, parserStatus, { error: "bad request", reason: parserStatus === 413 ? "body too large" : "body is not valid JSON" });
    }
    if (isSyncError(error)) {
      const status = httpStatusOf(error);
      if (status >= 500) options.logger.warn("operation failed", { code: error.code, error });
      // A reason can carry a target's or mapping's own text: masked before it leaves.
      return send(res, status, { error: error.code, reason: masker.text(error.message) });
    }
    options.logger.error("request failed", { error });
    send(res, 500, { error: "internal error" });
  };
  app.use(errors);
  return app;
}

/** Wires the console: bus, the dlq client of mapping, the operations and the HTTP server. */
export async function createApp(config: ConsoleConfig, logger: Logger) {
  const subjects = createSubjects(config.CONCORD_NAMESPACE);
  const bus = await connectBus(config.NATS_URL, "console");
  await ensureStreams(bus.jsm, subjects);
  const dlq = createDlqClient(bus.nc, subjects, config.CONSOLE_RPC_TIMEOUT_MS);
  const operations = createOperations(bus.js, subjects, dlq);
  const tokens = apiTokensOf(config);
  masker.addSecrets(tokens.map((t) => t.token));
  const audit = createAuditTrail(dlq, logger);
  const flows = createFlowOperations({
    modes: createFlowModes(await openStateStore(bus, subjects)),
    exchange: createExchangeClient(bus.nc, subjects, config.CONSOLE_RPC_TIMEOUT_MS),
    js: bus.js,
    jsm: bus.jsm,
    subjects,
  });
  let stopping = false;
  const ready = () => !stopping && !bus.nc.isClosed();
  const decisions = createDecisionClient(bus.nc, subjects, config.CONSOLE_RPC_TIMEOUT_MS);
  const reconcile = createReconcileReader(bus.nc, subjects, await openStateStore(bus, subjects), config.CONSOLE_RPC_TIMEOUT_MS);
  // Concord's tables, opened and migrated once for alerts and the web pages (either needs them).
  let database: DbHandle | undefined;
  if (config.DATABASE_URL && (config.CONSOLE_ALERTS_FILE || config.CONSOLE_USERS)) {
    await migrateDb(config.DATABASE_URL, config.DATABASE_SCHEMA);
    database = connectDb(config.DATABASE_URL, config.DATABASE_SCHEMA, 3);
  }
  let alerting: Alerting | undefined;
  if (config.CONSOLE_ALERTS_FILE && database) {
    const settings = loadAlertsConfig(config.CONSOLE_ALERTS_FILE);
    alerting = await createAlerting({ settings, db: database.db, bus, subjects, state: await openStateStore(bus, subjects), rpcTimeoutMs: config.CONSOLE_RPC_TIMEOUT_MS, logger });
    alerting.evaluator.start();
    logger.info("alerts evaluated", { file: config.CONSOLE_ALERTS_FILE, rules: Object.keys(settings.rules), channels: settings.channels.map((c) => `${c.name} (${c.type})`) });
  }
  const circuits = () => requestCircuits(bus.nc, subjects, config.CONSOLE_RPC_TIMEOUT_MS);
  // The web console: pages for people, signed in as CONSOLE_USERS; they read Concord's tables.
  let web: Router | undefined;
  if (config.CONSOLE_USERS && database) {
    web = await createWebConsole({
      config,
      users: config.CONSOLE_USERS,
      logger,
      data: { db: database.db, bus, subjects, operations, audit, flows, decisions, circuits, alerts: alerting, links: { bitrix24: config.CONSOLE_BITRIX24_URL, onec: config.CONSOLE_ONEC_URL, trace: config.CONSOLE_TRACE_URL } },
    });
    logger.info("web console on", { users: config.CONSOLE_USERS.map((u) => `${u.name} (${u.role})`) });
  }
  const server: Server = createHttpServer(createServer({ tokens, operations, audit, ready, logger, flows, decisions, reconcile, alerts: alerting, circuits, web }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.CONSOLE_PORT, config.CONSOLE_HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info("listening", { host: config.CONSOLE_HOST, port });
  return {
    port,
    ready,
    /** Reverse of start: readiness off, no new connections (in-flight requests finish), then the bus drains. */
    async stop() {
      stopping = true;
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      await closed;
      // The evaluator's round ends before the bus drains (it reads consumers and circuits over it).
      await alerting?.stop();
      await database?.close();
      await bus.nc.drain();
    },
  };
}
