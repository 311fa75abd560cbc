import { sql } from "drizzle-orm";
import { requestCircuits, type Bus, type FlowModes } from "@concord/bus";
import type { FlowName, Subjects } from "@concord/contracts";
import { queryRows, type Database } from "@concord/db";
import { masker } from "@concord/telemetry";
import type { AlertRules } from "./alerts-config";
import { errorRateExceeded, sustained, type Condition, type RuleResult } from "./alerts-logic";
import { flowSources } from "./flow-sources";

/** What the checks read: the state the system already keeps. */
export interface AlertSources {
  db: Database;
  nc: Bus["nc"];
  jsm: Bus["jsm"];
  subjects: Subjects;
  flowModes: FlowModes;
  rpcTimeoutMs: number;
  now: () => number;
}

type Check = () => Promise<RuleResult>;

/** Alerts one rule raises per look at most (one per record or decision). */
const LIMIT = 500;

const iso = (ms: number) => new Date(ms).toISOString();

/** One check per configured rule; each throws when its source cannot be read (then nothing of that rule changes). */
export function createChecks(rules: AlertRules, s: AlertSources): Check[] {
  const checks: Check[] = [];
  const on = <T extends { enabled: boolean }>(rule: T | undefined): rule is T => rule !== undefined && rule.enabled;

  const deadLetter = rules.deadLetter;
  if (on(deadLetter)) {
    checks.push(async () => {
      const flows = deadLetter.flows;
      // An open dead letter stands until a person retries or discards it, or its record is applied or created after it failed.
      const rows = await queryRows<{ flow: string | null; system: string | null; entity: string | null; record_id: string | null; id: string; letters: string; last_failed_at: Date; error_code: string; error_message: string }>(s.db, sql`
          select d.flow, d.system, d.entity, d.record_id,
                 min(d.id)::text as id, count(*)::text as letters, max(d.last_failed_at) as last_failed_at,
                 (array_agg(d.error_code order by d.last_failed_at desc))[1] as error_code,
                 (array_agg(d.error_message order by d.last_failed_at desc))[1] as error_message
          from dead_letters d
          where d.status = 'open'
            ${flows && flows.length > 0 ? sql`and d.flow in (${sql.join(flows.map((f) => sql`${f}`), sql`, `)})` : sql``}
            and not exists (
              select 1 from exchange_log e
              where e.system = d.system and e.entity = d.entity and e.record_id = d.record_id
                and e.result in ('applied', 'created') and e.at > d.last_failed_at)
          group by d.flow, d.system, d.entity, d.record_id, case when d.record_id is null then d.id end
          order by max(d.last_failed_at)
          limit ${LIMIT}`);
      return {
        rule: "dead-letter",
        // Cut at the limit: what was left out is not known to have cleared.
        ...(rows.length >= LIMIT ? { covers: () => false } : {}),
        conditions: rows.map((r): Condition => {
          const record = r.record_id === null ? `dead-letter-${r.id}` : `${r.system}.${r.entity}.${r.record_id}`;
          return {
            rule: "dead-letter",
            subject: record,
            summary: masker.text(`${r.system ?? "?"} ${r.entity ?? "?"} ${r.record_id ?? `(dead letter ${r.id})`} is dead-lettered in flow ${r.flow ?? "?"}: ${r.error_code} ${r.error_message}`.slice(0, 1000)),
            details: { flow: r.flow, deadLetterId: Number(r.id), letters: Number(r.letters), lastFailedAt: new Date(r.last_failed_at).toISOString(), errorCode: r.error_code },
          };
        }),
      };
    });
  }

  const backlog = rules.backlogAge;
  if (on(backlog)) {
    checks.push(async () => {
      const conditions: Condition[] = [];
      const streams = [s.subjects.streams.events, s.subjects.streams.commands, s.subjects.streams.outcomes, s.subjects.streams.dlq];
      for (const stream of streams) {
        for await (const info of s.jsm.consumers.list(stream)) {
          const durable = info.config.durable_name;
          if (!durable || (backlog.consumers && !backlog.consumers.includes(durable))) continue;
          const waiting = info.num_pending + info.num_ack_pending;
          if (waiting === 0) continue;
          const oldest = await oldestWaiting(s.jsm, stream, info.ack_floor.stream_seq + 1, info.config.filter_subject);
          if (oldest === null) continue;
          const ageMs = s.now() - oldest;
          if (ageMs < backlog.olderThanSeconds * 1000) continue;
          conditions.push({
            rule: "backlog-age",
            subject: `${stream}/${durable}`,
            summary: `consumer ${durable} on ${stream}: ${waiting} message(s) waiting, the oldest for ${Math.round(ageMs / 1000)} s`,
            details: { stream, consumer: durable, pending: info.num_pending, unacknowledged: info.num_ack_pending, oldestAt: iso(oldest) },
          });
        }
      }
      return { rule: "backlog-age", conditions };
    });
  }

  const errorRate = rules.errorRate;
  if (on(errorRate)) {
    checks.push(async () => {
      const since = new Date(s.now() - errorRate.windowSeconds * 1000);
      const rows = await queryRows<{ stage: string; total: number; errors: number }>(s.db, sql`
          select stage, count(*)::int as total, count(*) filter (where result in ('retrying', 'dead-lettered'))::int as errors
          from exchange_log
          where at > ${since.toISOString()}::timestamptz and stage in ('resolver', 'crm-writer', 'onec-writer')
            and result in ('commanded', 'created', 'applied', 'echo', 'stale', 'skipped', 'retrying', 'dead-lettered', 'compensated', 'dry-run')
          group by stage`);
      return {
        rule: "error-rate",
        conditions: rows
          .filter((r) => errorRateExceeded(r.total, r.errors, errorRate.threshold, errorRate.minOutcomes))
          .map((r) => ({
            rule: "error-rate",
            subject: r.stage,
            summary: `${r.stage}: ${r.errors} of ${r.total} outcomes in the last ${errorRate.windowSeconds} s failed (${Math.round((100 * r.errors) / r.total)} %, threshold ${Math.round(errorRate.threshold * 100)} %)`,
            details: { stage: r.stage, total: r.total, errors: r.errors, windowSeconds: errorRate.windowSeconds },
          })),
      };
    });
  }

  const circuit = rules.circuitOpen;
  if (on(circuit)) {
    checks.push(async () => {
      const views = await requestCircuits(s.nc, s.subjects, s.rpcTimeoutMs);
      const answered = new Set(views.filter((v) => v.status !== "unknown").map((v) => v.target as string));
      const conditions: Condition[] = [];
      for (const v of views) {
        if (v.status !== "open") continue;
        const since = v.since ? Date.parse(v.since) : s.now();
        if (s.now() - since < circuit.forSeconds * 1000) continue;
        conditions.push({
          rule: "circuit-open",
          subject: v.target,
          summary: masker.text(`${v.target} circuit open since ${v.since ?? "?"}: changes to it wait (${v.lastCode ?? "?"}: ${v.lastError ?? ""})`.slice(0, 1000)),
          details: { target: v.target, key: v.key, since: v.since, lastCode: v.lastCode, nextProbeAt: v.nextProbeAt },
        });
      }
      // A writer that does not answer says nothing about its circuit: that alert stays as it is.
      return { rule: "circuit-open", conditions, covers: (subject) => answered.has(subject) };
    });
  }

  const silent = rules.flowSilent;
  if (on(silent)) {
    checks.push(async () => {
      const created = Date.parse(String((await s.jsm.streams.info(s.subjects.streams.events)).created));
      const conditions: Condition[] = [];
      for (const [flow, afterSeconds] of Object.entries(silent.flows) as Array<[FlowName, number]>) {
        const mode = await s.flowModes.modeOf(flow, true);
        let last: number | null = null;
        for (const source of flowSources[flow]) {
          const message = await s.jsm.streams.getMessage(s.subjects.streams.events, { last_by_subj: s.subjects.event(source.system, source.entity) }).catch(() => null);
          if (message) last = Math.max(last ?? 0, message.timestamp ? Date.parse(message.timestamp) : 0);
        }
        // Silence counts from the last event, or from when the flow (or the stream) started, whichever is later.
        const from = Math.max(last ?? 0, mode.since ? Date.parse(mode.since) : 0, Number.isNaN(created) ? 0 : created);
        const quietMs = s.now() - from;
        if (quietMs < afterSeconds * 1000) continue;
        conditions.push({
          rule: "flow-silent",
          subject: flow,
          summary: `flow ${flow} (${mode.mode}): no change event for ${Math.round(quietMs / 1000)} s (${last === null ? "none yet" : `last at ${iso(last)}`})`,
          details: { flow, mode: mode.mode, lastEventAt: last === null ? null : iso(last), afterSeconds },
        });
      }
      return { rule: "flow-silent", conditions };
    });
  }

  const notReady = rules.serviceNotReady;
  if (on(notReady)) {
    const failingSince = new Map<string, number>();
    checks.push(async () => {
      const probes = await Promise.all(
        notReady.services.map(async (service) => {
          try {
            const response = await fetch(service.url, { signal: AbortSignal.timeout(notReady.timeoutSeconds * 1000) });
            await response.body?.cancel();
            return response.ok ? null : { subject: service.name, url: service.url, reason: `HTTP ${response.status}` };
          } catch (error) {
            const code = (error as { cause?: { code?: unknown } })?.cause?.code;
            return { subject: service.name, url: service.url, reason: typeof code === "string" ? code : "no answer" };
          }
        }),
      );
      const failing = probes.filter((p): p is NonNullable<typeof p> => p !== null);
      const lasting = sustained(failing, failingSince, notReady.forSeconds * 1000, s.now());
      return {
        rule: "service-not-ready",
        conditions: lasting.map((p) => ({
          rule: "service-not-ready",
          subject: p.subject,
          summary: masker.text(`${p.subject} not ready since ${iso(p.sinceMs)} (${p.reason}, ${p.url})`),
          details: { service: p.subject, url: masker.text(p.url), reason: p.reason, since: iso(p.sinceMs) },
        })),
        // Failing but not yet for long enough: an active alert of it stays active.
        covers: (subject) => !failingSince.has(subject),
      };
    });
  }

  const decisions = rules.decisionWaiting;
  if (on(decisions)) {
    checks.push(async () => {
      const before = new Date(s.now() - decisions.olderThanSeconds * 1000);
      const rows = await queryRows<{ id: number; source_system: string; source_entity: string; source_id: string; summary: string; reason: string; opened_at: Date }>(s.db, sql`
          select id, source_system, source_entity, source_id, summary, reason, opened_at
          from decisions where status = 'open' and opened_at < ${before.toISOString()}::timestamptz
          order by opened_at limit ${LIMIT}`);
      return {
        rule: "decision-waiting",
        ...(rows.length >= LIMIT ? { covers: () => false } : {}),
        conditions: rows.map((r) => ({
          rule: "decision-waiting",
          subject: `decision-${r.id}`,
          summary: masker.text(`${r.source_system} ${r.source_entity} ${r.source_id} (${r.summary}) waits for a person's decision since ${new Date(r.opened_at).toISOString()}: ${r.reason}`.slice(0, 1000)),
          details: { decisionId: r.id, source: { system: r.source_system, entity: r.source_entity, id: r.source_id }, openedAt: new Date(r.opened_at).toISOString() },
        })),
      };
    });
  }
  return checks;
}

/**
 * Stored time (ms) of the first message at or after `seq` that the consumer takes (its filter),
 * i.e. its oldest unacknowledged or undelivered one; null when there is none any more.
 */
async function oldestWaiting(jsm: Bus["jsm"], stream: string, seq: number, filter: string | undefined): Promise<number | null> {
  // NATS ≥ 2.9 answers `next_by_subj` on STREAM.MSG.GET; the typed client lists it for direct gets only.
  const query = { seq, next_by_subj: filter && filter.length > 0 ? filter : ">" } as unknown as { seq: number };
  const message = await jsm.streams.getMessage(stream, query).catch(() => null);
  return message?.timestamp ? Date.parse(message.timestamp) : null;
}
