// Offline events (event.bind event_type=offline + event.offline.*), modelled on the rest module's
// EventOfflineTable: instead of calling a handler, a change is MERGED into a queue row keyed by
// (MESSAGE_ID, CONNECTOR_ID, PROCESS_ID=""), where MESSAGE_ID = md5(EVENT_NAME|json(EVENT_DATA)). So the
// queue holds one row per object and event name with the latest TIMESTAMP_X, not a history.
// A reader reserves rows under a random 32-char PROCESS_ID (clear=0), then clears them or marks
// them as errors. Rows recorded while a copy is reserved form a new, unreserved row.

import { createHash, randomBytes } from "node:crypto";
import { ENTITIES } from "./entities";
import { RestError } from "./errors";
import { matchesFilter, parseFilter, parseOrder, sortRecords, type KindOf } from "./filter";
import type { ChangeEvent } from "./store";
import { formatDateTime, truncateToSecond } from "./time";

export interface OfflineBinding {
  event: string;
  /** "" = no source key. */
  connectorId: string;
}

export interface OfflineRecord {
  ID: number;
  /** epoch ms, second precision */
  TIMESTAMP_X: number;
  EVENT_NAME: string;
  EVENT_DATA: { FIELDS: { ID: number } };
  EVENT_ADDITIONAL: { user_id: string };
  MESSAGE_ID: string;
  PROCESS_ID: string;
  CONNECTOR_ID: string;
  ERROR: 0 | 1;
  /** Internal: order of the last write, the tiebreaker for equal TIMESTAMP_X (1 s resolution). */
  seq: number;
}

export interface OfflineGetOptions {
  connectorId: string;
  limit: number;
  clear: boolean;
  /** null = reserve new rows; a string (even "") = re-read the rows marked with it. */
  processId: string | null;
  error: boolean;
  filter?: unknown;
  order?: unknown;
}

const FIELDS = ["ID", "TIMESTAMP_X", "EVENT_NAME", "MESSAGE_ID"] as const;
const LIST_FIELDS = [...FIELDS, "PROCESS_ID", "ERROR"] as const;

const kindOfFields =
  (fields: readonly string[]): KindOf =>
  (field) => {
    if (!fields.includes(field)) return undefined;
    if (field === "ID" || field === "ERROR") return "number";
    if (field === "TIMESTAMP_X") return "date";
    return "string";
  };

/** Only the documented fields are filterable; anything else is dropped (sanitizeFilter). */
function sanitizeFilter(filter: unknown, fields: readonly string[]) {
  return parseFilter(filter).filter((c) => fields.includes(c.field));
}

export const argumentError = (description: string): RestError => new RestError(400, "ERROR_ARGUMENT", description);

export class OfflineEvents {
  private bindings: OfflineBinding[] = [];
  private records: OfflineRecord[] = [];
  private nextId = 1;
  private seq = 1;
  private readonly now: () => number;

  constructor(
    private readonly userId: number,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  reset(): void {
    this.bindings = [];
    this.records = [];
    this.nextId = 1;
    this.seq = 1;
  }

  /** false when the same event + connector is already bound. */
  bind(event: string, connectorId: string): boolean {
    if (this.bindings.some((b) => b.event === event && b.connectorId === connectorId)) return false;
    this.bindings.push({ event, connectorId });
    return true;
  }

  unbind(event: string, connectorId: string): number {
    const before = this.bindings.length;
    this.bindings = this.bindings.filter((b) => !(b.event === event && b.connectorId === connectorId));
    return before - this.bindings.length;
  }

  listBindings(): OfflineBinding[] {
    return this.bindings.map((b) => ({ ...b }));
  }

  /** Called for every store change; records it in each matching offline queue. */
  record(change: ChangeEvent): void {
    const prefix = ENTITIES[change.entity].eventPrefix;
    if (prefix === null) return;
    const event = `${prefix}${change.action}`;
    const data = { FIELDS: { ID: change.id } };
    const messageId = createHash("md5").update(`${event}|${JSON.stringify(data)}`).digest("hex");
    const ts = truncateToSecond(this.now());
    const connectors = new Set(this.bindings.filter((b) => b.event === event).map((b) => b.connectorId));
    for (const connectorId of connectors) {
      // Built-in echo suppression: a write made with this queue's own auth_connector is not recorded.
      if (connectorId !== "" && connectorId === change.authConnector) continue;
      const existing = this.records.find(
        (r) => r.MESSAGE_ID === messageId && r.CONNECTOR_ID === connectorId && r.PROCESS_ID === "",
      );
      if (existing) {
        // INSERT … ON DUPLICATE KEY UPDATE TIMESTAMP_X, EVENT_DATA, EVENT_ADDITIONAL (ERROR is kept).
        existing.TIMESTAMP_X = ts;
        existing.EVENT_DATA = data;
        existing.EVENT_ADDITIONAL = { user_id: String(this.userId) };
        existing.seq = this.seq++;
        continue;
      }
      this.records.push({
        ID: this.nextId++,
        TIMESTAMP_X: ts,
        EVENT_NAME: event,
        EVENT_DATA: data,
        EVENT_ADDITIONAL: { user_id: String(this.userId) },
        MESSAGE_ID: messageId,
        PROCESS_ID: "",
        CONNECTOR_ID: connectorId,
        ERROR: 0,
        seq: this.seq++,
      });
    }
  }

  private sorted(rows: OfflineRecord[], order: unknown, fields: readonly string[], dflt: "TIMESTAMP_X" | "ID"): OfflineRecord[] {
    const kindOf = kindOfFields(fields);
    const terms = parseOrder(order, kindOf);
    if (terms.length > 0) return sortRecords(rows as unknown as Record<string, unknown>[], terms, kindOf) as unknown as OfflineRecord[];
    if (dflt === "ID") return [...rows].sort((a, b) => a.ID - b.ID);
    return [...rows].sort((a, b) => a.TIMESTAMP_X - b.TIMESTAMP_X || a.seq - b.seq);
  }

  /** event.offline.get, following Bitrix\Rest\Api\Event::eventOfflineGet. */
  get(opts: OfflineGetOptions): { process_id: string | null; events: Record<string, unknown>[] } {
    const conditions = sanitizeFilter(opts.filter, FIELDS);
    const kindOf = kindOfFields(FIELDS);
    const matches = (r: OfflineRecord): boolean =>
      r.CONNECTOR_ID === opts.connectorId &&
      r.ERROR === (opts.error ? 1 : 0) &&
      matchesFilter(r as unknown as Record<string, unknown>, conditions, kindOf);
    let processId = opts.processId;
    const returnProcessId = !opts.clear || processId !== null;
    if (processId === null) {
      processId = randomBytes(16).toString("hex");
      const free = this.sorted(this.records.filter((r) => r.PROCESS_ID === "" && matches(r)), opts.order, FIELDS, "TIMESTAMP_X");
      for (const r of free.slice(0, opts.limit)) r.PROCESS_ID = processId;
    }
    const pid = processId;
    const mine = this.sorted(this.records.filter((r) => r.PROCESS_ID === pid && matches(r)), opts.order, FIELDS, "TIMESTAMP_X").slice(0, opts.limit);
    const events = mine.map((r) => this.render(r, false));
    if (opts.clear && events.length > 0) this.clear(pid, opts.connectorId);
    return { process_id: returnProcessId ? pid : null, events };
  }

  /** event.offline.clear: deletes the process's rows (all, or those with the given IDs / MESSAGE_IDs). */
  clear(processId: string, connectorId: string, by?: { ids?: number[]; messageIds?: string[] }): number {
    const before = this.records.length;
    this.records = this.records.filter((r) => {
      if (r.PROCESS_ID !== processId || r.CONNECTOR_ID !== connectorId) return true;
      if (by?.messageIds) return !by.messageIds.includes(r.MESSAGE_ID);
      if (by?.ids) return !by.ids.includes(r.ID);
      return false;
    });
    return before - this.records.length;
  }

  /**
   * event.offline.error (EventOfflineTable::markError): for the given MESSAGE_IDs among rows without
   * the error flag, copies outside this process are deleted and this process's copies are released
   * (PROCESS_ID="") with ERROR=1. Error rows come back only from event.offline.get with error=1.
   */
  markError(processId: string, connectorId: string, messageIds: string[]): void {
    const hit = (r: OfflineRecord) => r.CONNECTOR_ID === connectorId && r.ERROR === 0 && messageIds.includes(r.MESSAGE_ID);
    this.records = this.records.filter((r) => !(hit(r) && r.PROCESS_ID !== processId));
    for (const r of this.records) {
      if (hit(r) && r.PROCESS_ID === processId) {
        // The (MESSAGE_ID, CONNECTOR_ID, PROCESS_ID) key is unique: an older error row for the same object gives way.
        this.records = this.records.filter(
          (o) => !(o !== r && o.PROCESS_ID === "" && o.CONNECTOR_ID === connectorId && o.MESSAGE_ID === r.MESSAGE_ID),
        );
        r.ERROR = 1;
        r.PROCESS_ID = "";
      }
    }
  }

  /** event.offline.list: read-only, with PROCESS_ID and ERROR; default order ID ASC. */
  list(connectorId: string, filter: unknown, order: unknown): Record<string, unknown>[] {
    const conditions = sanitizeFilter(filter, LIST_FIELDS);
    const kindOf = kindOfFields(LIST_FIELDS);
    const rows = this.records.filter(
      (r) => r.CONNECTOR_ID === connectorId && matchesFilter(r as unknown as Record<string, unknown>, conditions, kindOf),
    );
    return this.sorted(rows, order, LIST_FIELDS, "ID").map((r) => this.render(r, true));
  }

  /** Everything, for GET /admin/offline. */
  snapshot(): { bindings: OfflineBinding[]; records: Record<string, unknown>[] } {
    return {
      bindings: this.listBindings(),
      records: this.sorted(this.records, undefined, FIELDS, "TIMESTAMP_X").map((r) => ({
        ...this.render(r, true),
        CONNECTOR_ID: r.CONNECTOR_ID,
      })),
    };
  }

  private render(r: OfflineRecord, withState: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {
      ID: String(r.ID),
      TIMESTAMP_X: formatDateTime(r.TIMESTAMP_X),
      EVENT_NAME: r.EVENT_NAME,
      EVENT_DATA: structuredClone(r.EVENT_DATA),
      EVENT_ADDITIONAL: { ...r.EVENT_ADDITIONAL },
      MESSAGE_ID: r.MESSAGE_ID,
    };
    if (withState) {
      out.PROCESS_ID = r.PROCESS_ID;
      out.ERROR = String(r.ERROR);
    }
    return out;
  }
}
