import type { Request, Response } from "express";
import { WWW_AUTHENTICATE, checkBasicAuth } from "./auth";
import type { FaultInjector, ODataMethod } from "./faults";
import { buildFilter, type FilterSchema } from "./filter";
import { ENTITY_SETS, TABULAR_SETS, rowFields, type EntitySetSpec, type TabularSetSpec } from "./metadata";
import { ODataError, odataErrors } from "./odata-error";
import { parseCount, parseOrderBy, parseQueryString, parseSelect, sortRecords, strictDecode } from "./query-options";
import { atomFeed, atomSingle, metadataXml, serializeObject, serializeTabularRow, xmlError } from "./serialize";
import type { Stats } from "./stats";
import type { ChangeEvent, Store, WriteResult } from "./store";

/**
 * The standard OData interface: `/<base>/odata/standard.odata/<Set>…`. Parses the raw URL itself
 * (1C semantics: `+` is not a space), answers JSON only with `$format=json` (Atom otherwise),
 * and runs fault injection before touching the store.
 */

export interface ODataDeps {
  store: Store;
  faults: FaultInjector;
  stats: Stats;
  user: string;
  password: string;
  base: string;
  /** Called after the response for every committed write: counts it and queues the notification. */
  onCommit: (change: ChangeEvent, source: "odata" | "admin") => void;
  /** Sleeps that stop() can cut short. */
  sleep: (ms: number, req: Request) => Promise<void>;
}

type Target =
  | { kind: "entity"; spec: EntitySetSpec; key: string | null; action: "Post" | "Unpost" | null; count: boolean }
  | { kind: "tabular"; tab: TabularSetSpec; key: { ref: string; line: number } | null; count: boolean };

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const ENTITY_KEY_RE = new RegExp(`^(?:Ref_Key=)?guid'(${GUID})'$`);

function parseEntityKey(text: string): string {
  const m = ENTITY_KEY_RE.exec(text.trim());
  if (!m) throw odataErrors.unparsable(text, "Edm.Guid");
  return (m[1] as string).toLowerCase();
}

function parseRowKey(text: string): { ref: string; line: number } {
  let ref: string | null = null;
  let line: number | null = null;
  for (const part of text.split(",")) {
    const [name = "", value = ""] = part.split("=").map((s) => s.trim());
    if (name === "Ref_Key") ref = parseEntityKey(value);
    else if (name === "LineNumber" && /^'?\d+L?'?$/.test(value)) line = Number(value.replace(/['L]/g, ""));
    else throw odataErrors.unparsable(text, "ключ табличной части");
  }
  if (ref === null || line === null) throw odataErrors.unparsable(text, "ключ табличной части");
  return { ref, line };
}

function resolveTarget(path: string, sets: ReadonlyMap<string, EntitySetSpec>): Target {
  const m = /^\/([^/(]+)(?:\(([^)]*)\))?(?:\/(.*))?$/.exec(path);
  if (!m) throw odataErrors.badSegment();
  const [, name = "", keyText, rest] = m;
  const spec = sets.get(name);
  const tab = TABULAR_SETS.get(name);
  if (!spec && !tab) throw odataErrors.unknownSet(name);
  const count = rest === "$count" && keyText === undefined;
  if (rest !== undefined && !count && !(keyText !== undefined && (rest === "Post" || rest === "Unpost") && spec?.kind === "Document")) {
    throw odataErrors.badSegment();
  }
  if (spec) {
    const key = keyText === undefined ? null : parseEntityKey(keyText);
    const action = rest === "Post" || rest === "Unpost" ? rest : null;
    return { kind: "entity", spec, key, action, count };
  }
  return { kind: "tabular", tab: tab as TabularSetSpec, key: keyText === undefined ? null : parseRowKey(keyText), count };
}

function entitySchema(spec: EntitySetSpec): FilterSchema {
  return { fields: spec.fields, collections: new Map(spec.tabular.map((p) => [p.name, p.fields])) };
}

const OPAQUE_500 = "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>";

export function sendOpaque500(res: Response): void {
  res.status(500).type("text/html; charset=utf-8").send(OPAQUE_500);
}

export function lockError(): ODataError {
  return odataErrors.internal(
    "Конфликт блокировок при выполнении транзакции:\nПревышено максимальное время ожидания предоставления блокировки",
  );
}

function methodOf(req: Request, target: Target): ODataMethod {
  if (target.kind === "entity" && target.action) return target.action;
  switch (req.method) {
    case "GET":
    case "HEAD":
      return "GET";
    case "POST":
      return "POST";
    case "PATCH":
    case "PUT":
    case "MERGE":
      return "PATCH";
    case "DELETE":
      return "DELETE";
    default:
      throw odataErrors.methodNotAllowed();
  }
}

function parseJsonBody(req: Request): unknown {
  const raw: unknown = req.body;
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : typeof raw === "string" ? raw : "";
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    throw odataErrors.internal("Произошла внутренняя ошибка OData сервиса. Непредвиденный символ при чтении JSON");
  }
}

function setNameOf(target: Target): string {
  return target.kind === "entity" ? target.spec.name : target.tab.part.setName;
}

export function createODataHandler(deps: ODataDeps): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const [rawPath = "", rawQuery = ""] = splitOnce(req.url, "?");
    const serviceRoot = `${req.protocol}://${req.headers.host ?? "localhost"}/${deps.base}/odata/standard.odata/`;
    let json = false;
    try {
      if (!checkBasicAuth(req.headers.authorization, deps.user, deps.password)) {
        res.status(401).set("WWW-Authenticate", WWW_AUTHENTICATE).type("text/plain; charset=utf-8").send("401 Unauthorized");
        return;
      }
      const params = parseQueryString(rawQuery);
      const format = (params.get("$format") ?? "").toLowerCase();
      json = format === "json" || format.startsWith("application/json");
      const path = strictDecode(rawPath);

      if (path === "" || path === "/") {
        sendServiceDocument(res, serviceRoot, json);
        return;
      }
      if (path === "/$metadata") {
        res.status(200).type("application/xml; charset=utf-8").send(metadataXml(deps.store.publishedSets()));
        return;
      }

      const target = resolveTarget(path, deps.store.publishedSets());
      const method = methodOf(req, target);
      const setName = setNameOf(target);
      deps.stats.countRequest(setName, method);

      const decision = deps.faults.decide(setName, method);
      if (decision.outcome !== "none") deps.stats.countFault(decision.outcome);
      else if (decision.commitThenFail) deps.stats.countFault("commitThenFail");
      if (decision.latencyMs > 0) await deps.sleep(decision.latencyMs, req);
      // The client gave up during the latency, but 1C finishes the write on its own time.
      if (decision.slowCommitMs > 0 && (req.socket.destroyed || req.socket.readableEnded)) {
        deps.stats.countFault("slowCommit");
        await new Promise((resolve) => setTimeout(resolve, decision.slowCommitMs));
      }
      if (decision.outcome === "timeout") {
        await deps.sleep(decision.timeoutMs, req);
        req.socket.destroy();
        return;
      }
      if (decision.outcome === "lock") throw lockError();
      if (decision.outcome === "error") {
        sendOpaque500(res);
        return;
      }

      const ctx: HandlerContext = { req, res, params, json, serviceRoot, deps, commitThenFail: decision.commitThenFail };
      if (target.kind === "tabular") {
        handleTabular(ctx, target, method);
        return;
      }
      handleEntity(ctx, target, method);
    } catch (err) {
      sendError(res, err, json);
    }
  };
}

interface HandlerContext {
  req: Request;
  res: Response;
  params: Map<string, string>;
  json: boolean;
  serviceRoot: string;
  deps: ODataDeps;
  commitThenFail: null | "500" | "drop";
}

function splitOnce(text: string, sep: string): [string, string] {
  const i = text.indexOf(sep);
  return i === -1 ? [text, ""] : [text.slice(0, i), text.slice(i + 1)];
}

export function sendError(res: Response, err: unknown, json: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const error =
    err instanceof ODataError ? err : odataErrors.internal(`Произошла внутренняя ошибка OData сервиса. ${err instanceof Error ? err.message : String(err)}`);
  if (json) res.status(error.status).type("application/json; charset=utf-8").send(JSON.stringify(error.toBody()));
  else res.status(error.status).type("application/xml; charset=utf-8").send(xmlError(error.code, error.message));
}

function sendServiceDocument(res: Response, root: string, json: boolean): void {
  const names = [...ENTITY_SETS.keys(), ...TABULAR_SETS.keys()];
  if (json) {
    res.status(200).type("application/json; charset=utf-8").send(JSON.stringify({ "odata.metadata": `${root}$metadata`, value: names.map((n) => ({ name: n, url: n })) }));
    return;
  }
  const collections = names.map((n) => `<collection href="${n}"><atom:title>${n}</atom:title></collection>`).join("");
  res
    .status(200)
    .type("application/xml; charset=utf-8")
    .send(`<?xml version="1.0" encoding="UTF-8"?><service xmlns="http://www.w3.org/2007/app" xmlns:atom="http://www.w3.org/2005/Atom" xml:base="${root}"><workspace><atom:title>Default</atom:title>${collections}</workspace></service>`);
}

function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type("application/json; charset=utf-8").send(JSON.stringify(body));
}

interface ListOptions {
  select: string[] | null;
  inlineCount: boolean;
}

function applyListOptions<T extends Record<string, unknown>>(
  ctx: HandlerContext,
  records: T[],
  schema: FilterSchema,
  selectable: { fields: EntitySetSpec["fields"]; tabular: string[] },
): { page: T[]; total: number; options: ListOptions } {
  const p = ctx.params;
  if (p.has("$expand")) throw odataErrors.expandUnsupported(p.get("$expand") ?? "");
  let rows = records;
  const filter = p.get("$filter");
  if (filter !== undefined && filter.trim() !== "") {
    const predicate = buildFilter(filter, schema);
    rows = rows.filter((r) => predicate(r));
  }
  const select = p.has("$select") ? parseSelect(p.get("$select") ?? "", selectable.fields, selectable.tabular) : null;
  const orderBy = p.has("$orderby") ? parseOrderBy(p.get("$orderby") ?? "", selectable.fields) : [];
  const inlineCount = p.get("$inlinecount") === "allpages";
  if (p.has("$inlinecount") && !["allpages", "none"].includes(p.get("$inlinecount") ?? "")) {
    throw odataErrors.unparsable(p.get("$inlinecount") ?? "", "$inlinecount");
  }
  const skip = p.has("$skip") ? parseCount(p.get("$skip") ?? "", "$skip") : 0;
  const top = p.has("$top") ? parseCount(p.get("$top") ?? "", "$top") : null;
  rows = sortRecords(rows, orderBy);
  const total = rows.length;
  const page = rows.slice(skip, top === null ? undefined : skip + top);
  return { page, total, options: { select, inlineCount } };
}

function sendList(ctx: HandlerContext, set: string, items: Record<string, unknown>[], total: number, inlineCount: boolean): void {
  if (!ctx.json) {
    ctx.res.status(200).type("application/atom+xml; charset=utf-8").send(atomFeed(ctx.serviceRoot, set, items, inlineCount ? total : null));
    return;
  }
  const body: Record<string, unknown> = { "odata.metadata": `${ctx.serviceRoot}$metadata#${set}` };
  // odata.count is a string on the platform.
  if (inlineCount) body["odata.count"] = String(total);
  body.value = items;
  sendJson(ctx.res, 200, body);
}

function sendSingle(ctx: HandlerContext, status: number, set: string, item: Record<string, unknown>, location?: string): void {
  if (location) ctx.res.set("Location", location);
  if (!ctx.json) {
    ctx.res.status(status).type("application/atom+xml; charset=utf-8").send(atomSingle(ctx.serviceRoot, set, item));
    return;
  }
  sendJson(ctx.res, status, { "odata.metadata": `${ctx.serviceRoot}$metadata#${set}/@Element`, ...item });
}

function handleTabular(ctx: HandlerContext, target: Extract<Target, { kind: "tabular" }>, method: ODataMethod): void {
  if (method !== "GET") throw odataErrors.tabularDirect();
  const { parent, part } = target.tab;
  const fields = rowFields(part);
  let rows: Record<string, unknown>[] = ctx.deps.store
    .list(parent.name)
    .flatMap((o) => ((o.data[part.name] as Record<string, unknown>[] | undefined) ?? []).map((row) => ({ ...row, Ref_Key: o.data.Ref_Key })));
  if (target.key) {
    const { ref, line } = target.key;
    const row = rows.find((r) => r.Ref_Key === ref && r.LineNumber === line);
    if (!row) throw odataErrors.notFound();
    const select = ctx.params.has("$select") ? parseSelect(ctx.params.get("$select") ?? "", fields, []) : null;
    sendSingle(ctx, 200, part.setName, serializeTabularRow(part, ref, row, select));
    return;
  }
  const schema: FilterSchema = { fields, collections: new Map() };
  const { page, total, options } = applyListOptions(ctx, rows, schema, { fields, tabular: [] });
  rows = page;
  if (target.count) {
    ctx.res.status(200).type("text/plain; charset=utf-8").send(String(total));
    return;
  }
  const items = rows.map((r) => serializeTabularRow(part, String(r.Ref_Key), r, options.select));
  sendList(ctx, part.setName, items, total, options.inlineCount);
}

function handleEntity(ctx: HandlerContext, target: Extract<Target, { kind: "entity" }>, method: ODataMethod): void {
  const { spec, key } = target;
  const store = ctx.deps.store;
  const { req } = ctx;

  if (target.action) {
    if (req.method !== "POST" || key === null) throw odataErrors.methodNotAllowed();
    const result =
      target.action === "Post"
        ? store.post(spec.name, key, (ctx.params.get("PostingModeOperational") ?? "false").toLowerCase() === "true")
        : store.unpost(spec.name, key);
    finishWrite(ctx, result.change, () => ctx.res.status(200).end());
    return;
  }

  if (key === null) {
    if (method === "GET") {
      const all = store.list(spec.name).map((o) => o.data);
      const { page, total, options } = applyListOptions(ctx, all, entitySchema(spec), {
        fields: spec.fields,
        tabular: spec.tabular.map((p) => p.name),
      });
      if (target.count) {
        ctx.res.status(200).type("text/plain; charset=utf-8").send(String(total));
        return;
      }
      sendList(ctx, spec.name, page.map((d) => serializeObject(spec, d, options.select)), total, options.inlineCount);
      return;
    }
    if (method === "POST") {
      const result = store.create(spec.name, parseJsonBody(req), { applyRules: true });
      const location = encodeURI(`${ctx.serviceRoot}${spec.name}(guid'${result.change.ref}')`);
      finishWrite(ctx, result.change, () => sendSingle(ctx, 201, spec.name, serializeObject(spec, result.object.data), location));
      return;
    }
    throw odataErrors.methodNotAllowed();
  }

  switch (method) {
    case "GET": {
      const found = store.get(spec.name, key);
      if (!found) throw odataErrors.notFound();
      const select = ctx.params.has("$select")
        ? parseSelect(ctx.params.get("$select") ?? "", spec.fields, spec.tabular.map((p) => p.name))
        : null;
      if (ctx.params.has("$expand")) throw odataErrors.expandUnsupported(ctx.params.get("$expand") ?? "");
      sendSingle(ctx, 200, spec.name, serializeObject(spec, found.data, select));
      return;
    }
    case "PATCH": {
      // DataVersion in the body and If-Match are never checked: the platform has no optimistic locking.
      const result: WriteResult = store.update(spec.name, key, parseJsonBody(req), { applyRules: true });
      finishWrite(ctx, result.change, () => sendSingle(ctx, 200, spec.name, serializeObject(spec, result.object.data)));
      return;
    }
    case "DELETE": {
      const change = store.remove(spec.name, key);
      finishWrite(ctx, change, () => ctx.res.status(204).end());
      return;
    }
    default:
      throw odataErrors.methodNotAllowed();
  }
}

/** Response first, then the commit hook (stats + notification), unless a commit-then-fail fault is armed. */
function finishWrite(ctx: HandlerContext, change: ChangeEvent, respond: () => void): void {
  if (ctx.commitThenFail === "drop") {
    ctx.deps.onCommit(change, "odata");
    ctx.req.socket.destroy();
    return;
  }
  if (ctx.commitThenFail === "500") {
    sendOpaque500(ctx.res);
    ctx.deps.onCommit(change, "odata");
    return;
  }
  respond();
  ctx.deps.onCommit(change, "odata");
}
