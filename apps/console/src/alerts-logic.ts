/**
 * The evaluator's pure decisions: which alerts fire, repeat or resolve after one look at the
 * system, when a failed delivery is tried again, and how many notices a channel may take now.
 */

export const ALERT_RULES = ["dead-letter", "backlog-age", "error-rate", "circuit-open", "flow-silent", "service-not-ready", "decision-waiting"] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/** A condition that holds now. */
export interface Condition {
  rule: AlertRule;
  /** What it is about, stable across evaluations (`bitrix24.deal.42`, `EVENTS/resolver`). */
  subject: string;
  /** In words, masked by whoever built it. */
  summary: string;
  details: Record<string, unknown>;
}

export const alertKey = (c: { rule: AlertRule; subject: string }) => `${c.rule}:${c.subject}`;

/** What one rule's check saw: the conditions that hold, and which keys it could judge (an alert it could not judge is left as it is). */
export interface RuleResult {
  rule: AlertRule;
  conditions: Condition[];
  /** Whether the check looked at this alert's subject; default: every key of the rule. */
  covers?: (subject: string) => boolean;
}

export interface ActiveAlert {
  id: number;
  key: string;
  rule: AlertRule;
  subject: string;
  lastNoticeAt: Date;
  notices: number;
}

export interface Plan {
  fire: Condition[];
  /** Still holding: refresh summary and last seen. */
  still: Array<{ alert: ActiveAlert; condition: Condition }>;
  /** Still holding and the repeat interval passed since the last notice. */
  repeat: ActiveAlert[];
  resolve: ActiveAlert[];
}

/**
 * Compares what holds now with what is active. A rule whose check failed (absent from
 * `results`) neither fires nor resolves anything: an unreachable source is not a recovery.
 */
export function planAlerts(active: readonly ActiveAlert[], results: readonly RuleResult[], now: number, repeatMs: number): Plan {
  const holding = new Map<string, Condition>();
  for (const r of results) for (const c of r.conditions) holding.set(alertKey(c), c);
  const activeKeys = new Set(active.map((a) => a.key));
  const plan: Plan = { fire: [], still: [], repeat: [], resolve: [] };
  for (const [key, condition] of holding) if (!activeKeys.has(key)) plan.fire.push(condition);
  for (const alert of active) {
    const condition = holding.get(alert.key);
    if (condition) {
      plan.still.push({ alert, condition });
      if (repeatMs > 0 && now - alert.lastNoticeAt.getTime() >= repeatMs) plan.repeat.push(alert);
      continue;
    }
    const result = results.find((r) => r.rule === alert.rule);
    if (result && (result.covers ?? (() => true))(alert.subject)) plan.resolve.push(alert);
  }
  return plan;
}

/** The wait before attempt `attempts + 1`, after `attempts` failed ones (the schedule's last value repeats). */
export function backoffMs(attempts: number, scheduleSeconds: readonly number[]): number {
  const index = Math.min(Math.max(attempts - 1, 0), scheduleSeconds.length - 1);
  return Math.round((scheduleSeconds[index] ?? 0) * 1000);
}

export type AfterFailure = { status: "pending"; nextAttemptAt: number; final: false } | { status: "failed"; final: true };

/** After a failed attempt (`attempts` counts it): try again after the backoff, or give up for good. */
export function afterFailedAttempt(attempts: number, maxAttempts: number, scheduleSeconds: readonly number[], now: number): AfterFailure {
  if (attempts >= maxAttempts) return { status: "failed", final: true };
  return { status: "pending", nextAttemptAt: now + backoffMs(attempts, scheduleSeconds), final: false };
}

/** How many more notices a channel may take now, given how many it took in the last minute. */
export const slotsLeft = (sentLastMinute: number, maxPerMinute: number) => Math.max(0, maxPerMinute - sentLastMinute);

/**
 * Holds a condition back until it has lasted `forMs` (a service failing one probe is not yet an
 * alert). `since` keeps, per subject, when it was first seen holding; subjects no longer seen are
 * forgotten.
 */
export function sustained<T extends { subject: string }>(seen: readonly T[], since: Map<string, number>, forMs: number, now: number): Array<T & { sinceMs: number }> {
  const present = new Set(seen.map((s) => s.subject));
  for (const subject of [...since.keys()]) if (!present.has(subject)) since.delete(subject);
  const out: Array<T & { sinceMs: number }> = [];
  for (const s of seen) {
    const first = since.get(s.subject) ?? now;
    since.set(s.subject, first);
    if (now - first >= forMs) out.push({ ...s, sinceMs: first });
  }
  return out;
}

/** Error share of a stage's outcomes, and whether it alerts. */
export function errorRateExceeded(total: number, errors: number, threshold: number, minOutcomes: number): boolean {
  return total >= minOutcomes && total > 0 && errors / total >= threshold;
}

export type Notice = "fired" | "repeat" | "resolved";

/** One line of text for chat and e-mail subjects. */
export function noticeTitle(notice: Notice, alert: { rule: string; subject: string }): string {
  const tag = notice === "fired" ? "ALERT" : notice === "repeat" ? "STILL FIRING" : "RESOLVED";
  return `[Concord ${tag}] ${alert.rule}: ${alert.subject}`;
}
