import { setTimeout as sleep } from "node:timers/promises";
import { bitrix24WebhookBase, type SystemConfig } from "@concord/launcher";

export const ORDER_SET = "Document_ЗаказКлиента";
export const COUNTERPARTY_SET = "Catalog_Контрагенты";
export const PARTNER_SET = "Catalog_Партнеры";
export const PRODUCT_SET = "Catalog_Номенклатура";

export type Rec = Record<string, unknown>;

/**
 * The inverse id Concord keeps on a 1C counterparty or partner it created or linked
 * (`concord:bitrix24:company:<id>`): in an additional attribute row (`ДополнительныеРеквизиты`)
 * or, as earlier versions wrote it, in `Комментарий`. Either place counts.
 */
export function concordMarker(record: Rec): string | null {
  const rows = Array.isArray(record.ДополнительныеРеквизиты) ? (record.ДополнительныеРеквизиты as Rec[]) : [];
  const attribute = rows.map((r) => r.Значение).find((v): v is string => typeof v === "string" && v.startsWith("concord:"));
  if (attribute) return attribute;
  return typeof record.Комментарий === "string" && record.Комментарий.startsWith("concord:") ? record.Комментарий : null;
}

/** REST methods that write: what the workload's own writes are, so Concord's can be told apart. */
const WRITE_METHODS = /\.(add|update|delete|set)$/;

/**
 * The people and the checker, over HTTP: a CRM user calling Bitrix24 REST (retrying what the
 * injected faults refuse — the sandbox decides a fault before running the method, so a retry
 * never writes twice), a 1C manager working through the 1C sandbox's admin API, and both
 * sandboxes' admin APIs.
 */
export interface Clients {
  b24<T = unknown>(method: string, params?: Rec): Promise<T>;
  b24Admin<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  onecAdmin<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  onecRecords(set: string): Promise<Rec[]>;
  /** One 1C record as the manager's form opens it. */
  onecRecord(set: string, ref: string): Promise<Rec>;
  onecCreate(set: string, body: Rec): Promise<Rec>;
  onecPatch(set: string, ref: string, body: Rec): Promise<Rec>;
  onecAction(set: string, ref: string, action: "Post" | "Unpost"): Promise<Rec>;
  /** Writes the workload made through Bitrix24 REST (successful calls only). */
  userWrites(): number;
  /** REST calls of the workload refused by an injected fault and retried. */
  userRetries(): number;
}

export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  if (!response.ok) throw new HttpError(`${init?.method ?? "GET"} ${url.replace(/\/rest\/1\/[^/]+\//, "/rest/1/***/")} → ${response.status} ${text.slice(0, 300)}`, response.status);
  return (text ? JSON.parse(text) : undefined) as T;
}

export function createClients(config: SystemConfig): Clients {
  const b24Base = bitrix24WebhookBase(config);
  const b24AdminBase = `http://127.0.0.1:${config.ports["sandbox-bitrix24"]}/admin/`;
  const onecAdminBase = `http://127.0.0.1:${config.ports["sandbox-1c"]}/admin/`;
  let writes = 0;
  let retries = 0;
  const post = (body: unknown, method = "POST"): RequestInit => ({ method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const record = (set: string, ref?: string) => `${onecAdminBase}records/${encodeURIComponent(set)}${ref ? `/${ref}` : ""}`;

  return {
    async b24<T>(method: string, params: Rec = {}): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          const { result } = await json<{ result: T }>(`${b24Base}${method}.json`, post(params));
          if (WRITE_METHODS.test(method)) writes++;
          return result;
        } catch (error) {
          // 4xx other than the rate limits is the user's own mistake: do not hide it. The user is
          // patient (about a minute) while a noisy neighbour spends the portal's budget.
          const status = error instanceof HttpError ? error.status : 0;
          if ((status >= 400 && status < 500 && status !== 429) || attempt >= 40) throw error;
          retries++;
          await sleep(Math.min(200 * attempt, 2_000));
        }
      }
    },
    b24Admin: (path, init) => json(`${b24AdminBase}${path}`, init),
    onecAdmin: (path, init) => json(`${onecAdminBase}${path}`, init),
    onecRecords: (set) => json(record(set)),
    onecRecord: (set, ref) => json(record(set, ref)),
    onecCreate: (set, body) => json(record(set), post(body)),
    onecPatch: (set, ref, body) => json(record(set, ref), post(body, "PATCH")),
    onecAction: (set, ref, action) => json(`${record(set, ref)}/${action}`, { method: "POST" }),
    userWrites: () => writes,
    userRetries: () => retries,
  };
}
