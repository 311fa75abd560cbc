// Admin API under /admin (JSON, no auth: bind to loopback). Lets tests and humans look inside the
// portal, count what the integration did, break things on purpose and start over.

import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { SandboxConfig } from "./config";
import { redactConfig } from "./config";
import { ENTITY_NAMES, type EntityName } from "./entities";
import type { EventDispatcher } from "./events";
import { faultConfigSchema, type Faults } from "./faults";
import type { OfflineEvents } from "./offline";
import type { LeakyBucket } from "./rate-limit";
import type { RequestLog } from "./request-log";
import type { Stats } from "./stats";
import type { Store, StoredRecord } from "./store";
import { BulkSeedSchema, seedBulk } from "./bulk-seed";

export interface AdminDeps {
  config: SandboxConfig;
  store: Store;
  stats: Stats;
  faults: Faults;
  events: EventDispatcher;
  offline: OfflineEvents;
  bucket: LeakyBucket;
  requests: RequestLog;
}

const handlerSchema = z.object({
  url: z.union([
    z.null(),
    z.string().refine((v) => {
      try {
        return ["http:", "https:"].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, "must be an http(s) URL"),
  ]),
});

const rateLimitSchema = z
  .object({ capacity: z.number().positive().optional(), drainPerSec: z.number().positive().optional() })
  .strict();

function badRequest(res: Response, error: z.ZodError): void {
  res.status(400).json({ error: "invalid body", issues: error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
}

export function createAdminRouter(deps: AdminDeps): Router {
  const { store, stats, faults, events, offline, bucket, requests } = deps;
  const router = Router();

  const renderRecord = (entity: EntityName, rec: StoredRecord): Record<string, unknown> => {
    const out = store.render(entity, rec);
    if (entity === "deal") out.PRODUCT_ROWS = store.productRows(rec.ID);
    return out;
  };

  router.get("/records/:entity", (req: Request, res: Response) => {
    const entity = String(req.params.entity);
    if (entity === "timeline") {
      res.json(store.timeline());
      return;
    }
    if (!(ENTITY_NAMES as readonly string[]).includes(entity)) {
      res.status(404).json({ error: `unknown entity '${entity}'`, entities: [...ENTITY_NAMES, "timeline"] });
      return;
    }
    const name = entity as EntityName;
    res.json(store.all(name).sort((a, b) => a.ID - b.ID).map((r) => renderRecord(name, r)));
  });

  router.get("/records/:entity/:id", (req: Request, res: Response) => {
    const entity = String(req.params.entity);
    if (!(ENTITY_NAMES as readonly string[]).includes(entity)) {
      res.status(404).json({ error: `unknown entity '${entity}'` });
      return;
    }
    const rec = store.get(entity as EntityName, Number(req.params.id));
    if (!rec) {
      res.status(404).json({ error: "not found" });
      return;
    }
    res.json(renderRecord(entity as EntityName, rec));
  });

  /** The portal's recycle bin: a deleted deal restored with its ID and rows (an add event fires). */
  router.post("/recyclebin/:entity/:id/restore", (req: Request, res: Response) => {
    const entity = String(req.params.entity);
    const id = Number(req.params.id);
    if (entity !== "deal" || !Number.isInteger(id) || id <= 0) {
      res.status(400).json({ error: "only deals are kept in the recycle bin: /recyclebin/deal/<id>/restore" });
      return;
    }
    if (!store.restore("deal", id)) {
      res.status(404).json({ error: `deal ${id} is not in the recycle bin` });
      return;
    }
    res.json({ restored: { entity, id } });
  });

  router.get("/stats", (_req, res) => {
    res.json({ ...stats.snapshot(), rateLimit: { ...bucket.settings(), level: bucket.currentLevel() } });
  });
  router.post("/stats/reset", (_req, res) => {
    stats.reset();
    res.json({ ok: true });
  });

  router.get("/events", (_req, res) => {
    res.json({ handlers: events.handlers(), deliveries: events.deliveries() });
  });
  router.delete("/events", (_req, res) => {
    events.clearLog();
    res.json({ ok: true });
  });
  /** Waits (up to `timeoutMs`, default 30 s) until every queued event has been attempted. */
  router.post("/events/drain", async (req: Request, res: Response) => {
    const timeoutMs = Math.min(Number(req.query.timeoutMs ?? 30_000) || 30_000, 600_000);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      events.idle().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    res.status(timedOut ? 504 : 200).json({ drained: !timedOut, deliveries: events.deliveries() });
  });

  /** The offline queue: bindings and every row (reserved ones with their PROCESS_ID, error rows with ERROR "1"). */
  router.get("/offline", (_req, res) => {
    res.json(offline.snapshot());
  });

  router.get("/event-handlers", (_req, res) => {
    res.json(events.handlers());
  });
  router.put("/event-handlers", (req: Request, res: Response) => {
    const parsed = handlerSchema.safeParse(req.body);
    if (!parsed.success) {
      badRequest(res, parsed.error);
      return;
    }
    events.bindAll(parsed.data.url);
    res.json(events.handlers());
  });

  router.get("/faults", (_req, res) => {
    res.json(faults.current());
  });
  router.put("/faults", (req: Request, res: Response) => {
    const parsed = faultConfigSchema.safeParse(req.body);
    if (!parsed.success) {
      badRequest(res, parsed.error);
      return;
    }
    faults.set(parsed.data);
    res.json(faults.current());
  });
  router.delete("/faults", (_req, res) => {
    faults.clear();
    res.json({ ok: true });
  });

  router.get("/rate-limit", (_req, res) => {
    res.json({ ...bucket.settings(), level: bucket.currentLevel() });
  });
  /** Reconfigures the bucket and empties it. */
  router.put("/rate-limit", (req: Request, res: Response) => {
    const parsed = rateLimitSchema.safeParse(req.body);
    if (!parsed.success) {
      badRequest(res, parsed.error);
      return;
    }
    bucket.configure(parsed.data);
    bucket.reset();
    res.json({ ...bucket.settings(), level: bucket.currentLevel() });
  });

  router.get("/requests", (req: Request, res: Response) => {
    const limit = Math.max(1, Math.min(1000, Number(req.query.limit ?? 100) || 100));
    res.json(requests.last(limit));
  });

  router.get("/config", (_req, res) => {
    res.json(redactConfig(deps.config));
  });

  /** Bulk records for the go-live benchmark (bulk-seed.ts). */
  router.post("/seed/bulk", (req: Request, res: Response) => {
    const parsed = BulkSeedSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      badRequest(res, parsed.error);
      return;
    }
    res.status(201).json(seedBulk(store, parsed.data));
  });

  /** Clears data, stats, faults, logs, queued events, offline bindings and queue; restores the configured rate limit. */
  router.post("/reset", (_req, res) => {
    store.reset();
    stats.reset();
    faults.clear();
    events.clearQueue();
    events.clearLog();
    offline.reset();
    requests.clear();
    bucket.configure({ capacity: deps.config.rateCapacity, drainPerSec: deps.config.rateDrainPerSec });
    bucket.reset();
    res.json({ ok: true });
  });

  return router;
}
