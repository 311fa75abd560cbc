import { catalogEntry, commandContentHash, type Outcome } from "@concord/contracts";
import type { SyncStatusSettings } from "@concord/policy";

/**
 * The sync status a deal shows where sales people look (policy `syncStatus`), decided from the
 * outcomes of its order's exchange. Pure: the I/O is in `sync-status-writer.ts`.
 */
export type SyncStatus =
  | { kind: "ok"; number: string | null }
  | { kind: "waiting"; since: string }
  | { kind: "refused"; reason: string; business: boolean };

/** What the resolver keeps per deal (state KV `syncstatus.deal.<id>`). */
export interface SyncStatusRecord {
  status: SyncStatus | null;
  /** Time of the fact behind the status (its outcome's `at`): an older fact never overrides it. */
  at: string;
  /** The outcome that made this record (redelivered: its command is published again if need be). */
  cause: string;
  /** Whether the status command of `cause` was published (false only between the record and the publish). */
  commanded: boolean;
  /** The comment that `cause`'s command carries, to publish it again identically. */
  comment: string | null;
  /**
   * Content hash of the order command 1C refused for good: while the deal still projects to it,
   * a deal event (the status write's own among them) commands nothing to 1C — a person retries
   * the dead letter, or changes the deal.
   */
  refused: string | null;
  /** A failure comment is on the deal's timeline and no recovery comment since. */
  failureOpen: boolean;
  /** The text last commanded onto the deal's field. */
  text?: string;
}

/** What one outcome says about a deal's sync status. */
export type StatusSignal =
  /** The deal's 1C order was created or written (or already held it). */
  | { kind: "written"; number: string | null }
  /** The deal's order command was dead-lettered: 1C refused it for good, or its retries ran out. */
  | { kind: "refused"; reason: string; business: boolean; contentHash: string | null }
  /** Work for this deal is retried (by the resolver: 1C as a target failed): waiting if 1C's circuit is open. */
  | { kind: "unreachable" }
  /** The resolver commanded a 1C write for the deal (waiting if 1C's circuit is open and the order is not created yet). */
  | { kind: "commanded" }
  /** The resolver found both sides agreeing: a wait for 1C is over. */
  | { kind: "settled" };

const ORDER_UPSERT = "cmd:onec.order.upsert:";

/** The signal in an outcome about a CRM deal, or null when it says nothing about the status. */
export function signalOf(outcome: Outcome): StatusSignal | null {
  if (outcome.subject.system !== "bitrix24" || outcome.subject.entity !== "deal") return null;
  // What a dry-run would have done says nothing about the deal's exchange.
  if (outcome.messageId.endsWith(":dry-run") || outcome.result === "dry-run") return null;
  if (outcome.stage === "onec-writer") {
    if (!outcome.messageId.startsWith(ORDER_UPSERT)) return null;
    if (outcome.result === "created" || outcome.result === "applied" || (outcome.result === "echo" && outcome.target !== null)) {
      return { kind: "written", number: outcome.targetNumber ?? null };
    }
    if (outcome.result === "dead-lettered") {
      return { kind: "refused", reason: reasonOf(outcome.detail), business: outcome.error?.failureClass === "business", contentHash: commandContentHash(outcome.messageId) };
    }
    // Any retry of the order: while 1C's circuit is open it waits for 1C, whatever held it first (its counterparty, say).
    if (outcome.result === "retrying") return { kind: "unreachable" };
    return null;
  }
  if (outcome.stage === "resolver") {
    if (outcome.result === "retrying" && isOnecTargetFault(outcome.error?.code)) return { kind: "unreachable" };
    if (outcome.result === "commanded") return { kind: "commanded" };
    if (outcome.result === "echo") return { kind: "settled" };
  }
  return null;
}

/** 1C's own words for people: the client's technical prefix ("1c POST Document_…: HTTP 500 code -1") goes. */
export function reasonOf(detail: string): string {
  const words = detail.replace(/^1c [^:]*: HTTP \d{3}(?: code -?\w+)?\s*/i, "").trim();
  return words === "" ? detail : words;
}

function isOnecTargetFault(code: string | undefined): boolean {
  if (!code) return false;
  if (code === "CIRCUIT_OPEN" || code === "CREATE_IN_DOUBT") return true;
  const entry = catalogEntry(code);
  return entry.scope === "target" && entry.system === "onec";
}

/**
 * Whether a signal can change the record at all (pure; checked before anything is read): a wait
 * starts once and ends only from waiting, and a write without a number keeps the number shown.
 */
export function signalMatters(current: SyncStatusRecord | null, signal: StatusSignal): boolean {
  const kind = current?.status?.kind ?? null;
  if (signal.kind === "settled") return kind === "waiting";
  if (signal.kind === "unreachable" || signal.kind === "commanded") return kind !== "waiting";
  return true;
}

/** Whether deciding a `written` signal needs the number from the pair's sync state. */
export function needsKnownNumber(current: SyncStatusRecord | null, signal: StatusSignal): boolean {
  return signal.kind === "settled" || (signal.kind === "written" && signal.number === null && !(current?.status?.kind === "ok" && current.status.number));
}

/** What is known when a signal is decided (read only when the signal needs it). */
export interface StatusFacts {
  /** 1C's circuit: the time it opened when open, else null. */
  onecOpenSince: string | null;
  /** Whether the deal's 1C order exists (its pair confirmed). */
  orderExists: boolean;
  /** The 1C order number known from the pair's sync state. */
  knownNumber: string | null;
  /** Whether the saga compensated this outcome (its own comment says why). */
  compensated: boolean;
}

export interface StatusChange {
  record: SyncStatusRecord;
  /** The text and comment to write, or null when the deal shows the right text already. */
  write: { text: string; comment: string | null } | null;
}

/**
 * The next record for a signal (pure). The field is rewritten only when its text changes; a
 * comment goes on the timeline when the exchange fails for good (once, until it recovers) and
 * when the order is written again after such a failure. Null: nothing changes.
 */
export function decideStatus(current: SyncStatusRecord | null, signal: StatusSignal, facts: StatusFacts, at: string, cause: string, settings: SyncStatusSettings): StatusChange | null {
  if (current && Date.parse(at) < Date.parse(current.at)) return null;
  if (!signalMatters(current, signal)) return null;
  const base: SyncStatusRecord = current ?? { status: null, at, cause, commanded: true, comment: null, refused: null, failureOpen: false };
  let status: SyncStatus | null = base.status;
  let refused = base.refused;
  let failureOpen = base.failureOpen;
  let comment: string | null = null;

  switch (signal.kind) {
    case "written": {
      const number = signal.number ?? (base.status?.kind === "ok" ? base.status.number : null) ?? facts.knownNumber;
      status = { kind: "ok", number };
      refused = null;
      if (failureOpen) comment = recoveryComment(number, settings);
      failureOpen = false;
      break;
    }
    case "refused": {
      status = { kind: "refused", reason: shorten(signal.reason, 180), business: signal.business };
      refused = signal.contentHash;
      // The saga's compensation comment already says why.
      if (!failureOpen && !facts.compensated) comment = failureComment(signal.reason, signal.business, settings);
      failureOpen = true;
      break;
    }
    case "unreachable":
    case "commanded": {
      if (facts.onecOpenSince === null) return null;
      if (signal.kind === "commanded" && facts.orderExists) return null;
      if (base.status?.kind === "waiting") return null;
      status = { kind: "waiting", since: facts.onecOpenSince };
      break;
    }
    case "settled": {
      if (base.status?.kind !== "waiting" || facts.onecOpenSince !== null || !facts.orderExists) return null;
      status = { kind: "ok", number: facts.knownNumber };
      break;
    }
  }
  if (!settings.comments) comment = null;
  const before = base.status ? statusText(base.status, settings) : null;
  const text = status ? statusText(status, settings) : null;
  const write = text !== null && (text !== before || comment !== null) ? { text, comment } : null;
  if (!write && current && refused === current.refused && failureOpen === current.failureOpen) return null;
  return { record: { status, at, cause, commanded: write === null, comment, refused, failureOpen }, write };
}

const TEXTS = {
  en: {
    ok: (number: string | null) => (number ? `1C: order ${number}` : "1C: order accepted"),
    waiting: (since: string) => `waiting for 1C (not answering since ${since})`,
    refused: (reason: string, business: boolean) => (business ? `1C refused: ${reason}` : `not sent to 1C: ${reason}`),
    failed: (reason: string, business: boolean) =>
      business
        ? `Concord: 1C refused the order of this deal: ${reason}. A change of the deal sends it again; if the cause is in 1C, it is retried once fixed there.`
        : `Concord: the order of this deal could not be sent to 1C: ${reason}. It waits in the dead-letter queue.`,
    recovered: (number: string | null) => `Concord: the order of this deal is in 1C now${number ? ` (order ${number})` : ""}.`,
  },
  ru: {
    ok: (number: string | null) => (number ? `1С: заказ ${number}` : "1С: заказ принят"),
    waiting: (since: string) => `ждёт 1С (не отвечает с ${since})`,
    refused: (reason: string, business: boolean) => (business ? `1С отклонила: ${reason}` : `не отправлено в 1С: ${reason}`),
    failed: (reason: string, business: boolean) =>
      business
        ? `Concord: 1С отклонила заказ по этой сделке: ${reason}. Изменение сделки отправит его снова; если причина в 1С, его повторят после исправления.`
        : `Concord: заказ по этой сделке не удалось передать в 1С: ${reason}. Он ждёт в очереди ошибок.`,
    recovered: (number: string | null) => `Concord: заказ по этой сделке теперь в 1С${number ? ` (заказ ${number})` : ""}.`,
  },
} as const;

/** The status in words, as the deal's field shows it. */
export function statusText(status: SyncStatus, settings: SyncStatusSettings): string {
  const t = TEXTS[settings.language];
  if (status.kind === "ok") return t.ok(status.number);
  if (status.kind === "waiting") return t.waiting(clockTime(status.since, settings.timeZone));
  return shorten(t.refused(status.reason, status.business), 255);
}

function failureComment(reason: string, business: boolean, settings: SyncStatusSettings): string {
  return TEXTS[settings.language].failed(shorten(reason, 1500), business);
}

function recoveryComment(number: string | null, settings: SyncStatusSettings): string {
  return TEXTS[settings.language].recovered(number);
}

/** "02:14" in the portal's time zone (with the date when it is not today's). */
export function clockTime(iso: string, timeZone: string, now = Date.now()): string {
  const at = new Date(iso);
  const day = (d: Date) => new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  const time = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(at);
  if (day(at) === day(new Date(now))) return time;
  const [, month, date] = day(at).split("-");
  return `${date}.${month} ${time}`;
}

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
