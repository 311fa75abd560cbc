import type { AlertView, FlowMode, FlowName, System } from "@concord/contracts";
import { flowOfSource, flowTargets } from "../flow-sources";
import { formatDuration, words, type Lang } from "./i18n";

/*
 * A flow's health from the facts the home page gathers: pure, so each rule is tested as a table
 * (flow-health.test.ts). The facts come from flow-facts.ts; the words are here, in both languages.
 */

export type FlowState = "healthy" | "degraded" | "paused" | "failing" | "dry-run";

/** A target's circuit as its writer reports it; `unknown` when the writer did not answer. */
export interface CircuitFact {
  target: System;
  status: "open" | "closed" | "unknown";
  since: string | null;
  lastCode: string | null;
  lastError: string | null;
}

/** Outcomes counted in one bucket of time: done (written, skipped as echo, stale, dry-run…), failed for good, and retries. */
export interface Counts {
  ok: number;
  failed: number;
  retries: number;
}

/** What is known of one flow now; a part that could not be read is null (it changes no state, and is said). */
export interface FlowFacts {
  flow: FlowName;
  mode: { mode: FlowMode; since: string | null; by: string | null };
  /** The circuits of the flow's targets (flowTargets). */
  circuits: CircuitFact[];
  /** The last hour's outcomes of the flow's records. */
  lastHour: Counts | null;
  /** Open dead letters of the flow's records, and how many of them failed within the last hour. */
  deadLetters: { open: number; newLastHour: number } | null;
  /** Messages of the flow waiting at a consumer (counted up to a cap), and when the oldest was stored. */
  backlog: { waiting: number; capped: boolean; oldestAt: string | null } | null;
}

export interface HealthThresholds {
  /** The oldest waiting message older than this: degraded. */
  backlogAgeMs: number;
  /** Retries within the last hour at or above this: degraded. */
  retries: number;
  /** Failed for good within the last hour, at least this many… */
  failuresMin: number;
  /** …and at least this share of the hour's finished outcomes: failing. */
  failureShare: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = { backlogAgeMs: 5 * 60_000, retries: 5, failuresMin: 3, failureShare: 0.2 };

/** Why a circuit opened, as people read it. */
export type PauseCause = "rate-limit" | "credentials" | "unreachable" | "other";

export type Reason =
  | { kind: "target-paused"; target: System; cause: PauseCause; since: string | null; code: string | null }
  | { kind: "writer-silent"; target: System }
  | { kind: "dead-letters-new"; count: number }
  | { kind: "failures"; failed: number; total: number }
  | { kind: "dry-run"; since: string | null; by: string | null }
  | { kind: "dead-letters-open"; count: number }
  | { kind: "backlog-old"; ageMs: number; waiting: number; capped: boolean }
  | { kind: "retries"; count: number }
  | { kind: "ok"; handled: number }
  | { kind: "unknown"; what: "outcomes" | "deadLetters" | "backlog" | "mode" };

export interface FlowHealth {
  state: FlowState;
  /** The reasons of the state first, then whatever else is worth saying. */
  reasons: Reason[];
}

const RATE_LIMIT_CODES = new Set(["B24_QUERY_LIMIT_EXCEEDED", "B24_OPERATION_TIME_LIMIT", "B24_OVERLOAD_LIMIT"]);

/** A circuit's last error code in words: a target's request limit, refused credentials, no answer, or something else. */
export function pauseCauseOf(code: string | null): PauseCause {
  if (!code) return "other";
  if (RATE_LIMIT_CODES.has(code) || /_LIMIT(_|$)/.test(code)) return "rate-limit";
  if (/_(UNAUTHORIZED|FORBIDDEN)$/.test(code)) return "credentials";
  if (/_(TIMEOUT|NETWORK|UNKNOWN_OUTCOME|BAD_RESPONSE)$/.test(code)) return "unreachable";
  return "other";
}

/**
 * The flow's state: failing (records fail for good: new dead letters, or a large share of the
 * hour's outcomes) over paused (a target's circuit is open: its writes wait, nothing is lost)
 * over dry-run (nothing is written, on purpose) over degraded (old backlog, many retries, dead
 * letters left open, a writer that does not answer) over healthy.
 */
export function classifyFlow(facts: FlowFacts, now: number, t: HealthThresholds = DEFAULT_THRESHOLDS): FlowHealth {
  const failing: Reason[] = [];
  const paused: Reason[] = [];
  const dry: Reason[] = [];
  const degraded: Reason[] = [];
  const notes: Reason[] = [];

  const dl = facts.deadLetters;
  if (dl && dl.newLastHour > 0) failing.push({ kind: "dead-letters-new", count: dl.newLastHour });
  const hour = facts.lastHour;
  if (hour) {
    const finished = hour.ok + hour.failed;
    if (hour.failed >= t.failuresMin && hour.failed / finished >= t.failureShare) failing.push({ kind: "failures", failed: hour.failed, total: finished });
  }

  for (const c of facts.circuits) {
    if (c.status === "open") paused.push({ kind: "target-paused", target: c.target, cause: pauseCauseOf(c.lastCode), since: c.since, code: c.lastCode });
    else if (c.status === "unknown") degraded.push({ kind: "writer-silent", target: c.target });
  }

  if (facts.mode.mode === "dry-run") dry.push({ kind: "dry-run", since: facts.mode.since, by: facts.mode.by });

  const backlog = facts.backlog;
  if (backlog?.oldestAt) {
    const ageMs = Math.max(0, now - Date.parse(backlog.oldestAt));
    if (ageMs >= t.backlogAgeMs) degraded.push({ kind: "backlog-old", ageMs, waiting: backlog.waiting, capped: backlog.capped });
  }
  if (hour && hour.retries >= t.retries) degraded.push({ kind: "retries", count: hour.retries });
  if (dl && dl.open > dl.newLastHour) degraded.push({ kind: "dead-letters-open", count: dl.open - dl.newLastHour });

  if (!hour) notes.push({ kind: "unknown", what: "outcomes" });
  if (!dl) notes.push({ kind: "unknown", what: "deadLetters" });
  if (!backlog) notes.push({ kind: "unknown", what: "backlog" });

  const state: FlowState = failing.length > 0 ? "failing" : paused.length > 0 ? "paused" : dry.length > 0 ? "dry-run" : degraded.length > 0 ? "degraded" : "healthy";
  const reasons = [...failing, ...paused, ...dry, ...degraded];
  if (state === "healthy" && hour) reasons.push({ kind: "ok", handled: hour.ok + hour.failed });
  return { state, reasons: [...reasons, ...notes] };
}

/** The flows an alert concerns, as far as its rule tells; none for a system-wide one (a service not ready, a consumer's backlog). */
export function alertFlows(alert: Pick<AlertView, "rule" | "subject" | "details">): FlowName[] {
  const d = alert.details;
  const targetsOf = (system: System) => (Object.keys(flowTargets) as FlowName[]).filter((f) => flowTargets[f].includes(system));
  switch (alert.rule) {
    case "flow-silent":
      return (Object.keys(flowTargets) as string[]).includes(alert.subject) ? [alert.subject as FlowName] : [];
    case "circuit-open":
      return alert.subject === "bitrix24" || alert.subject === "onec" ? targetsOf(alert.subject) : [];
    case "error-rate":
      return alert.subject === "onec-writer" ? targetsOf("onec") : alert.subject === "crm-writer" ? targetsOf("bitrix24") : [];
    case "dead-letter": {
      const [system, entity] = alert.subject.split(".");
      const flow = flowOfSource(system, entity);
      return flow ? [flow] : [];
    }
    case "decision-waiting": {
      const source = d.source as { system?: string; entity?: string } | undefined;
      const flow = flowOfSource(source?.system, source?.entity);
      return flow ? [flow] : [];
    }
    default:
      return [];
  }
}

/** Bucket starts (ms) of `count` buckets of `sizeMs`, aligned to the size, the last one holding `now`. */
export function bucketStarts(now: number, sizeMs: number, count: number): number[] {
  const last = Math.floor(now / sizeMs) * sizeMs;
  return Array.from({ length: count }, (_, i) => last - (count - 1 - i) * sizeMs);
}

const w = words({
  en: {
    onec: "1C",
    bitrix24: "Bitrix24",
    pausedUnreachable: "{target} is not answering since {since}",
    pausedRateLimit: "{target} request limit reached since {since}",
    pausedCredentials: "{target} refuses Concord's credentials since {since}",
    pausedOther: "{target} fails since {since} ({code})",
    pausedTail: "changes wait, nothing is lost",
    writerSilent: "the {target} writer does not answer: its state is unknown",
    deadLettersNew: "{count} {letters} in the last hour",
    deadLetterOne: "dead letter",
    deadLetterMany: "dead letters",
    failures: "{failed} of {total} changes failed in the last hour",
    dryRun: "dry-run since {since} (set by {by}): nothing is written",
    dryRunPolicy: "dry-run (the policy file): nothing is written",
    deadLettersOpen: "{count} {letters} wait for a person",
    backlogOld: "the oldest change has waited {age} ({waiting} waiting)",
    retries: "{count} {retries} in the last hour",
    retryOne: "retry",
    retryMany: "retries",
    ok: "{count} {changes} in the last hour, all went through",
    changeOne: "change",
    changeMany: "changes",
    quiet: "no changes in the last hour",
    unknownOutcomes: "the exchange log could not be read",
    unknownDeadLetters: "the dead letters could not be read",
    unknownBacklog: "the backlog could not be read",
    unknownMode: "the flow's mode could not be read",
    unknownSince: "an unknown time",
  },
  ru: {
    onec: "1С",
    bitrix24: "Битрикс24",
    pausedUnreachable: "{target} не отвечает с {since}",
    pausedRateLimit: "{target}: исчерпан лимит запросов с {since}",
    pausedCredentials: "{target} не принимает учётные данные Concord с {since}",
    pausedOther: "{target} даёт сбои с {since} ({code})",
    pausedTail: "изменения ждут, ничего не теряется",
    writerSilent: "писатель в {target} не отвечает: его состояние неизвестно",
    deadLettersNew: "в очереди ошибок за последний час: {count}",
    deadLetterOne: "сообщение",
    deadLetterMany: "сообщения",
    failures: "за последний час не прошли {failed} из {total} изменений",
    dryRun: "пробный режим с {since} (включил {by}): ничего не записывается",
    dryRunPolicy: "пробный режим (файл политики): ничего не записывается",
    deadLettersOpen: "в очереди ошибок ждут человека: {count}",
    backlogOld: "самое старое изменение ждёт {age} (в очереди: {waiting})",
    retries: "повторов за последний час: {count}",
    retryOne: "повтор",
    retryMany: "повторы",
    ok: "изменений за последний час: {count}, все прошли",
    changeOne: "изменение",
    changeMany: "изменения",
    quiet: "за последний час изменений не было",
    unknownOutcomes: "журнал обмена не прочитан",
    unknownDeadLetters: "очередь ошибок не прочитана",
    unknownBacklog: "очередь сообщений не прочитана",
    unknownMode: "режим потока не прочитан",
    unknownSince: "неизвестного времени",
  },
});

const fill = (template: string, values: Record<string, string | number>) => template.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? `{${key}}`));

/** A moment as a person reads it next to "since": the time alone today, the date and time before. */
export function formatSince(lang: Lang, iso: string | null, timeZone: string, now: number): string {
  if (!iso) return w(lang).unknownSince;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return w(lang).unknownSince;
  const locale = lang === "ru" ? "ru-RU" : "en-GB";
  const day = (d: Date) => new Intl.DateTimeFormat(locale, { dateStyle: "short", timeZone }).format(d);
  const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone }).format(date);
  return day(date) === day(new Date(now)) ? time : `${day(date)} ${time}`;
}

/** One reason in words, in the page's language and time zone. */
export function describeReason(lang: Lang, reason: Reason, timeZone: string, now: number): string {
  const t = w(lang);
  const since = (iso: string | null) => formatSince(lang, iso, timeZone, now);
  switch (reason.kind) {
    case "target-paused": {
      const template = { unreachable: t.pausedUnreachable, "rate-limit": t.pausedRateLimit, credentials: t.pausedCredentials, other: t.pausedOther }[reason.cause];
      return `${fill(template, { target: t[reason.target], since: since(reason.since), code: reason.code ?? "?" })}: ${t.pausedTail}`;
    }
    case "writer-silent":
      return fill(t.writerSilent, { target: t[reason.target] });
    case "dead-letters-new":
      return fill(t.deadLettersNew, { count: reason.count, letters: reason.count === 1 ? t.deadLetterOne : t.deadLetterMany });
    case "failures":
      return fill(t.failures, { failed: reason.failed, total: reason.total });
    case "dry-run":
      return reason.since ? fill(t.dryRun, { since: since(reason.since), by: reason.by ?? "?" }) : t.dryRunPolicy;
    case "dead-letters-open":
      return fill(t.deadLettersOpen, { count: reason.count, letters: reason.count === 1 ? t.deadLetterOne : t.deadLetterMany });
    case "backlog-old":
      return fill(t.backlogOld, { age: formatDuration(lang, reason.ageMs), waiting: `${reason.waiting}${reason.capped ? "+" : ""}` });
    case "retries":
      return fill(t.retries, { count: reason.count, retries: reason.count === 1 ? t.retryOne : t.retryMany });
    case "ok":
      return reason.handled === 0 ? t.quiet : fill(t.ok, { count: reason.handled, changes: reason.handled === 1 ? t.changeOne : t.changeMany });
    case "unknown":
      return { outcomes: t.unknownOutcomes, deadLetters: t.unknownDeadLetters, backlog: t.unknownBacklog, mode: t.unknownMode }[reason.what];
  }
}

const names = words({
  en: {
    "orders.crmToOnec": "Orders: Bitrix24 → 1C",
    "orders.onecToCrm": "Orders: 1C → Bitrix24",
    customers: "Customers",
    products: "Products",
    healthy: "healthy",
    degraded: "degraded",
    paused: "paused",
    failing: "failing",
    "dry-run": "dry-run",
  },
  ru: {
    "orders.crmToOnec": "Заказы: Битрикс24 → 1С",
    "orders.onecToCrm": "Заказы: 1С → Битрикс24",
    customers: "Клиенты",
    products: "Товары",
    healthy: "в порядке",
    degraded: "с задержками",
    paused: "приостановлен",
    failing: "сбои",
    "dry-run": "пробный режим",
  },
});

/** A flow's name as people read it ("Orders: Bitrix24 → 1C"). */
export const flowTitle = (lang: Lang, flow: FlowName) => names(lang)[flow];

/** A state in words ("paused", "приостановлен"). */
export const stateWord = (lang: Lang, state: FlowState) => names(lang)[state];
