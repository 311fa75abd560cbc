import express, { type NextFunction, type Request, type Response } from "express";
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createAdminRouter } from "./admin";
import type { SandboxConfig } from "./config";
import { FaultInjector } from "./faults";
import { Notifier } from "./notifier";
import { createODataHandler } from "./odata";
import { RequestLog } from "./request-log";
import { Stats } from "./stats";
import { Store, type ChangeEvent } from "./store";

export interface Sandbox {
  app: express.Express;
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
  store: Store;
  notifier: Notifier;
  faults: FaultInjector;
  stats: Stats;
  requests: RequestLog;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Wires the 1C sandbox: OData service under /<base>/odata/standard.odata, admin API, health. */
export interface SandboxOptions {
  /** The clock (tests fake it to probe the base's time zone). */
  now?: () => Date;
}

export function createSandbox(config: SandboxConfig, options: SandboxOptions = {}): Sandbox {
  const store = new Store({ now: options.now, timeZone: config.timeZone, versionCheck: config.versionCheck });
  const stats = new Stats();
  const requests = new RequestLog();
  const faults = new FaultInjector(config.seed);
  const notifier = new Notifier({
    url: config.notifyUrl,
    secret: config.notifySecret,
    ...config.notify,
    seed: config.seed,
    faults: () => faults.notificationFaults(),
  });

  // Hung requests (latency / timeout faults) are cut short on stop().
  const sleepers = new Set<() => void>();
  const sleep = (ms: number, req: Request): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        sleepers.delete(done);
        req.socket.off("close", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
      req.socket.once("close", done);
    });

  const onCommit = (change: ChangeEvent, source: "odata" | "admin"): void => {
    stats.countWrite(change.object, source);
    notifier.enqueue(change);
  };

  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", false);
  // The platform sends no ETag (there is no optimistic locking); Express would add one.
  app.set("etag", false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const isAdmin = req.path.startsWith("/admin");
    res.once("close", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // A destroyed socket (timeout / drop fault) never sent a status.
      const status = res.headersSent ? res.statusCode : 0;
      if (!isAdmin) {
        const traceparent = req.headers.traceparent;
        requests.add({
          at: new Date().toISOString(),
          method: req.method,
          path: safeDecode(req.originalUrl),
          status,
          ms: Math.round(ms * 10) / 10,
          traceparent: typeof traceparent === "string" ? traceparent : null,
        });
      }
      if (config.log) {
        process.stdout.write(`${JSON.stringify({ method: req.method, path: safeDecode(req.originalUrl), status, ms: Math.round(ms) })}\n`);
      }
    });
    next();
  });

  app.get(["/healthz", "/readyz"], (_req, res) => {
    res.json({ status: "ok" });
  });

  app.use(
    "/admin",
    createAdminRouter({
      store,
      faults,
      notifier,
      stats,
      requests,
      onCommit,
      onFaultsChanged: (seed) => notifier.reseed(seed ?? config.seed),
    }),
  );

  const odata = createODataHandler({ store, faults, stats, user: config.user, password: config.password, base: config.base, onCommit, sleep });
  app.use(
    `/${config.base}/odata/standard.odata`,
    express.raw({ type: () => true, limit: "10mb" }),
    (req: Request, res: Response) => odata(req, res),
  );

  app.use((req: Request, res: Response) => {
    res.status(404).type("text/plain; charset=utf-8").send("404 Not Found");
  });

  // Body-parser failures and anything unexpected: JSON, never a stack trace.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof err === "object" && err !== null && "status" in err && typeof err.status === "number" ? err.status : 500;
    res.status(status).json({ error: err instanceof Error ? err.message : "internal error" });
  });

  let server: Server | null = null;
  const sockets = new Set<Socket>();

  return {
    app,
    store,
    notifier,
    faults,
    stats,
    requests,
    start: () =>
      new Promise((resolve, reject) => {
        const s = app.listen(config.port, config.host, (err?: Error) => {
          if (err) {
            reject(err);
            return;
          }
          resolve({ port: (s.address() as AddressInfo).port });
        });
        s.on("connection", (socket: Socket) => {
          sockets.add(socket);
          socket.once("close", () => sockets.delete(socket));
        });
        server = s;
      }),
    stop: async () => {
      notifier.stop();
      for (const wake of [...sleepers]) wake();
      const s = server;
      server = null;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeIdleConnections();
        setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 1000).unref();
      });
    },
  };
}
