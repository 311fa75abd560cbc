import express, { type NextFunction, type Request, type Response, Router } from "express";
import { z } from "zod";
import { FaultsSchema, type FaultInjector } from "./faults";
import { seedFieldData } from "./field-seed";
import { ENTITY_SETS } from "./metadata";
import type { Notifier } from "./notifier";
import { ODataError, odataErrors } from "./odata-error";
import type { RequestLog } from "./request-log";
import { serializeObject } from "./serialize";
import type { Stats } from "./stats";
import { BulkSeedSchema, seedBulk } from "./bulk-seed";
import type { ChangeEvent, Store } from "./store";

/**
 * Admin API (JSON, no auth, loopback only): records as a 1C manager sees them, stats, the
 * notification delivery log, fault injection, business rejection rules, reset, request log.
 */

export interface AdminDeps {
  store: Store;
  faults: FaultInjector;
  notifier: Notifier;
  stats: Stats;
  requests: RequestLog;
  onCommit: (change: ChangeEvent, source: "odata" | "admin") => void;
  /** Called after faults are set, so the notifier can re-seed. */
  onFaultsChanged: (seed: number | undefined) => void;
}

const RejectRuleSchema = z
  .object({
    set: z.string().refine((s) => ENTITY_SETS.has(s), "unknown set"),
    when: z
      .object({ field: z.string().min(1), contains: z.string().optional(), equals: z.unknown().optional() })
      .refine((w) => w.contains !== undefined || w.equals !== undefined, "when needs contains or equals"),
    message: z.string().min(1),
  })
  .strict();

const ExtensionSchema = z.object({ versionCheck: z.boolean() }).strict();

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

function loopbackOnly(req: Request, res: Response, next: NextFunction): void {
  if (!LOOPBACK.has(req.socket.remoteAddress ?? "")) {
    res.status(403).json({ error: "admin API is loopback-only" });
    return;
  }
  next();
}

function badRequest(res: Response, error: z.ZodError): void {
  res.status(400).json({ error: "invalid body", issues: error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
}

function sendODataError(res: Response, err: unknown): void {
  const error = err instanceof ODataError ? err : odataErrors.internal(err instanceof Error ? err.message : String(err));
  res.status(error.status).json(error.toBody());
}

export function createAdminRouter(deps: AdminDeps): Router {
  const router = Router();
  router.use(loopbackOnly);
  router.use(express.json({ limit: "5mb" }));

  const specOr404 = (req: Request, res: Response) => {
    const spec = deps.store.publishedSets().get(String(req.params.set));
    if (!spec) res.status(404).json(odataErrors.unknownSet(String(req.params.set)).toBody());
    return spec;
  };

  router.get("/records/:set", (req, res) => {
    const spec = specOr404(req, res);
    if (!spec) return;
    res.json(deps.store.list(spec.name).map((o) => serializeObject(spec, o.data)));
  });

  router.get("/records/:set/:ref", (req, res) => {
    const spec = specOr404(req, res);
    if (!spec) return;
    const found = deps.store.get(spec.name, String(req.params.ref));
    if (!found) {
      res.status(404).json(odataErrors.notFound().toBody());
      return;
    }
    res.json(serializeObject(spec, found.data));
  });

  router.post("/records/:set", (req, res) => {
    const spec = specOr404(req, res);
    if (!spec) return;
    try {
      const result = deps.store.create(spec.name, req.body, { applyRules: false, managerForm: true });
      res.status(201).json(serializeObject(spec, result.object.data));
      deps.onCommit(result.change, "admin");
    } catch (err) {
      sendODataError(res, err);
    }
  });

  router.patch("/records/:set/:ref", (req, res) => {
    const spec = specOr404(req, res);
    if (!spec) return;
    try {
      const result = deps.store.update(spec.name, String(req.params.ref), req.body, { applyRules: false, managerForm: true });
      res.json(serializeObject(spec, result.object.data));
      deps.onCommit(result.change, "admin");
    } catch (err) {
      sendODataError(res, err);
    }
  });

  router.delete("/records/:set/:ref", (req, res) => {
    const spec = specOr404(req, res);
    if (!spec) return;
    try {
      const change = deps.store.remove(spec.name, String(req.params.ref));
      res.status(204).end();
      deps.onCommit(change, "admin");
    } catch (err) {
      sendODataError(res, err);
    }
  });

  router.post("/records/:set/:ref/:action", (req, res) => {
    const spec = specOr404(req, res);
    if (!spec) return;
    const action = String(req.params.action);
    if (action !== "Post" && action !== "Unpost") {
      res.status(404).json({ error: "action must be Post or Unpost" });
      return;
    }
    try {
      const ref = String(req.params.ref);
      const result = action === "Post" ? deps.store.post(spec.name, ref, req.query.PostingModeOperational === "true") : deps.store.unpost(spec.name, ref);
      res.json(serializeObject(spec, result.object.data));
      deps.onCommit(result.change, "admin");
    } catch (err) {
      sendODataError(res, err);
    }
  });

  /** Records a real base has that Concord does not own (see field-seed.ts); each call makes new ones. */
  let fieldSeeds = 0;
  router.post("/seed/field", (_req, res) => {
    try {
      fieldSeeds += 1;
      const result = seedFieldData(deps.store, fieldSeeds, (change) => deps.onCommit(change, "admin"));
      res.status(201).json(result);
    } catch (err) {
      sendODataError(res, err);
    }
  });

  /** Bulk records for the go-live benchmark (bulk-seed.ts): no notifications. */
  router.post("/seed/bulk", (req, res) => {
    const parsed = BulkSeedSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      badRequest(res, parsed.error);
      return;
    }
    res.status(201).json(seedBulk(deps.store, parsed.data));
  });

  /** Concord's 1C extension (docs/1c): installing it adds the version check; /admin/reset keeps it. */
  router.get("/extension", (_req, res) => {
    res.json({ versionCheck: deps.store.versionCheck });
  });

  router.put("/extension", (req, res) => {
    const parsed = ExtensionSchema.safeParse(req.body);
    if (!parsed.success) {
      badRequest(res, parsed.error);
      return;
    }
    deps.store.versionCheck = parsed.data.versionCheck;
    res.json({ versionCheck: deps.store.versionCheck });
  });

  router.get("/stats", (_req, res) => {
    res.json(deps.stats.snapshot());
  });

  router.post("/stats/reset", (_req, res) => {
    deps.stats.reset();
    res.json({ status: "ok" });
  });

  router.get("/notifications", (_req, res) => {
    res.json(deps.notifier.snapshot());
  });

  router.post("/notifications/retry-failed", (_req, res) => {
    res.json({ requeued: deps.notifier.retryFailed() });
  });

  router.get("/faults", (_req, res) => {
    res.json(deps.faults.current() ?? {});
  });

  router.put("/faults", (req, res) => {
    const parsed = FaultsSchema.safeParse(req.body);
    if (!parsed.success) {
      badRequest(res, parsed.error);
      return;
    }
    deps.faults.set(parsed.data);
    deps.onFaultsChanged(parsed.data.seed);
    res.json(parsed.data);
  });

  router.delete("/faults", (_req, res) => {
    deps.faults.clear();
    deps.onFaultsChanged(undefined);
    res.json({ status: "ok" });
  });

  router.get("/reject", (_req, res) => {
    res.json(deps.store.rejectRules);
  });

  /** One rule or an array of rules; replaces the current set. */
  router.put("/reject", (req, res) => {
    const parsed = z.union([RejectRuleSchema, z.array(RejectRuleSchema)]).safeParse(req.body);
    if (!parsed.success) {
      badRequest(res, parsed.error);
      return;
    }
    deps.store.rejectRules = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
    res.json(deps.store.rejectRules);
  });

  router.delete("/reject", (_req, res) => {
    deps.store.rejectRules = [];
    res.json({ status: "ok" });
  });

  router.post("/reset", (_req, res) => {
    deps.store.reset();
    deps.stats.reset();
    deps.faults.clear();
    deps.onFaultsChanged(undefined);
    deps.notifier.clear();
    deps.requests.clear();
    res.json({ status: "ok" });
  });

  router.get("/requests", (req, res) => {
    const limit = Number(req.query.limit ?? 100);
    res.json(deps.requests.last(Number.isFinite(limit) && limit > 0 ? Math.min(limit, 1000) : 100));
  });

  router.use((_req, res) => {
    res.status(404).json({ error: "unknown admin route" });
  });

  return router;
}
