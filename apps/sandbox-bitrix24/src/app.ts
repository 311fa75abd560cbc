// Composition root: wires store, events, faults, rate limit, REST and admin into one express app.

import { createHash } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import { createAdminRouter } from "./admin";
import type { SandboxConfig } from "./config";
import { restErrors } from "./errors";
import { EventDispatcher } from "./events";
import { Faults } from "./faults";
import { createMethods } from "./methods";
import { OfflineEvents } from "./offline";
import { LeakyBucket } from "./rate-limit";
import { RequestLog, redactPath } from "./request-log";
import { createRestHandler } from "./rest";
import { Stats } from "./stats";
import { Store } from "./store";

export interface Sandbox {
  app: express.Express;
  /** Listens on config.host:config.port (0 = any free port). */
  start(): Promise<{ port: number }>;
  /** Stops accepting, drops hanging requests and queued events, closes the server. */
  stop(): Promise<void>;
  store: Store;
  stats: Stats;
  faults: Faults;
  events: EventDispatcher;
  /** Offline event bindings and queue (event.bind event_type=offline, event.offline.*). */
  offline: OfflineEvents;
  bucket: LeakyBucket;
  config: SandboxConfig;
  /** `http://host:port` once started. */
  baseUrl(): string;
  /** `http://host:port/rest/<user>/<token>/` once started. */
  webhookUrl(): string;
}

export function createSandbox(config: SandboxConfig): Sandbox {
  let port = config.port;
  const baseUrl = (): string => `http://${config.host}:${port}`;
  const stats = new Stats();
  const faults = new Faults(config.seed);
  const bucket = new LeakyBucket({ capacity: config.rateCapacity, drainPerSec: config.rateDrainPerSec });
  const requests = new RequestLog();
  const hangs = new Set<NodeJS.Timeout>();
  const events = new EventDispatcher({
    domain: config.portalDomain,
    // The real port is known only after listen(); start() sets it.
    clientEndpoint: "",
    serverEndpoint: "https://oauth.bitrix.info/rest/",
    memberId: createHash("md5").update(config.portalDomain).digest("hex"),
    applicationToken: config.applicationToken,
    timeoutMs: config.eventTimeoutMs,
    faults,
    stats,
  });
  const offline = new OfflineEvents(config.userId);
  const store = new Store({
    userId: config.userId,
    onChange: (change) => {
      // Offline recording is independent of online delivery (and of its faults).
      offline.record(change);
      events.emit(change);
    },
  });
  events.bindAll(config.eventHandlerUrl);
  const methods = createMethods({ store, stats, userId: config.userId, events, offline });

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  // One JSON line per request when SANDBOX_LOG=1, and the admin-visible request log; no tokens.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = Date.now();
    res.on("close", () => {
      const path = redactPath(req.originalUrl.split("?")[0] ?? "");
      const method = typeof res.locals.b24Method === "string" ? res.locals.b24Method : path;
      const status = res.headersSent ? res.statusCode : "socket-destroyed";
      const durationMs = Date.now() - started;
      if (path.startsWith("/rest/")) {
        const tp = req.headers.traceparent;
        requests.add({
          at: new Date(started).toISOString(),
          httpMethod: req.method,
          method,
          status,
          durationMs,
          traceparent: typeof tp === "string" ? tp : null,
        });
      }
      if (config.log) {
        process.stdout.write(`${JSON.stringify({ method: req.method, path, b24Method: res.locals.b24Method, status, ms: durationMs })}\n`);
      }
    });
    next();
  });

  app.get(["/healthz", "/readyz"], (_req, res) => {
    res.json({ status: "ok" });
  });

  const bodyLimit = "20mb";
  app.use(express.json({ limit: bodyLimit }));
  app.use(express.urlencoded({ extended: true, limit: bodyLimit, parameterLimit: 100_000 }));

  app.use("/admin", createAdminRouter({ config, store, stats, faults, events, offline, bucket, requests }));
  app.use("/rest", createRestHandler({ config, methods, faults, stats, bucket, hangs }));

  // Body parser failures (bad JSON) and anything else unexpected.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = typeof err === "object" && err !== null && "status" in err ? Number((err as { status: unknown }).status) : 500;
    if (req.path.startsWith("/rest/") && status === 400) {
      res.status(400).json(restErrors.invalidRequest("Invalid request body").toBody());
      return;
    }
    res.status(status >= 400 && status < 600 ? status : 500).json(restErrors.internal().toBody());
  });

  let server: Server | null = null;

  return {
    app,
    store,
    stats,
    faults,
    events,
    offline,
    bucket,
    config,
    baseUrl,
    webhookUrl: () => `${baseUrl()}/rest/${config.userId}/${config.webhookToken}/`,
    start: () =>
      new Promise((resolve, reject) => {
        const s = app.listen(config.port, config.host, (err?: Error) => {
          if (err) {
            reject(err);
            return;
          }
          port = (s.address() as AddressInfo).port;
          events.setClientEndpoint(`${baseUrl()}/rest/`);
          resolve({ port });
        });
        server = s;
      }),
    stop: async () => {
      events.stop();
      hangs.forEach(clearTimeout);
      hangs.clear();
      const s = server;
      server = null;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}
