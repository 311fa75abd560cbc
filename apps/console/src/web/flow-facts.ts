import { sql } from "drizzle-orm";
import type { ConsumerInfo } from "@nats-io/jetstream";
import { FLOW_NAMES, type AlertView, type FlowName, type System } from "@concord/contracts";
import { queryRows } from "@concord/db";
import { masker } from "@concord/telemetry";
import { flowCommands, flowOfCommand, flowOfSource, flowSources, flowTargets } from "../flow-sources";
import type { WebData } from "./data";
import { alertFlows, bucketStarts, classifyFlow, type CircuitFact, type Counts, type FlowFacts, type FlowHealth } from "./flow-health";

/*
 * What the home page shows, gathered from the state the system keeps: the exchange log and the
 * dead letters (PostgreSQL, through indexed and bounded queries), the consumers' backlogs
 * (JetStream), the circuits (the writers), the flows' modes (KV) and the alerts. Each source is
 * read on its own with a deadline: one that cannot be read leaves its part unknown, not the page.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const FIVE_MINUTES = 5 * MINUTE;

/** A completed hour's counts are kept once it ended this long ago (outcomes arrive a little after their time). */
const SETTLED_AFTER_MS = 10 * MINUTE;
/** Messages of one subject counted per look (the page says "100+" beyond). */
const BACKLOG_CAP = 100;
/** Conflicts looked at (the newest, by id) when counting the last day's. */
const CONFLICTS_LOOKED_AT = 5_000;
/** The longest any one source may take before its part is shown as unknown. */
const SOURCE_DEADLINE_MS = 3_000;

/** Outcomes of a record's change that end its handling at a stage (a resolver's `commanded` is followed by its writer's). */
const OK_RESULTS = ["created", "applied", "echo", "stale", "skipped", "dry-run"] as const;
const FAILED_RESULTS = ["dead-lettered", "compensated"] as const;
const COUNTED_RESULTS = [...OK_RESULTS, ...FAILED_RESULTS, "retrying"] as const;
const STAGES = ["resolver", "crm-writer", "onec-writer"] as const;

export interface Bucket extends Counts {
  start: number;
}

/** A consumer's queue: not yet delivered, delivered and not acknowledged, and when the oldest unacknowledged was stored. */
export interface QueueView {
  stream: string;
  consumer: string;
  pending: number;
  ackPending: number;
  oldestAt: string | null;
}

export interface FlowView {
  facts: FlowFacts;
  health: FlowHealth;
  /** 12 five-minute buckets (the last hour) and 24 one-hour buckets (the last day); null when the exchange log could not be read. */
  hour: Bucket[] | null;
  day: Bucket[] | null;
  decisionsWaiting: number | null;
  /** Conflicts (a field edited on both sides, settled by ownership) detected in the last day. */
  conflicts: { count: number; capped: boolean } | null;
  /** Active alerts about this flow; null when alerts are not configured or could not be read. */
  alerts: AlertView[] | null;
}

export interface HomeView {
  now: number;
  flows: FlowView[];
  queues: QueueView[] | null;
  /** Active alerts (every one, the system-wide too); `configured: false` when the console evaluates none. */
  alerts: { configured: boolean; active: AlertView[] | null };
  /** Open dead letters whose record tells no flow (a message that could not be read). */
  deadLettersWithoutFlow: number | null;
  /** What could not be read, in words (masked), for the page's foot. */
  problems: string[];
}

const zero = (): Counts => ({ ok: 0, failed: 0, retries: 0 });
const add = (into: Counts, c: Counts) => {
  into.ok += c.ok;
  into.failed += c.failed;
  into.retries += c.retries;
};
const list = (values: readonly string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

/** Whether a NATS subject matches a consumer's filter (`*` one token, `>` the rest). */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return s.length > i;
    if (i >= s.length || (f[i] !== "*" && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

async function withDeadline<T>(what: string, work: Promise<T>, problems: string[]): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${SOURCE_DEADLINE_MS} ms`)), SOURCE_DEADLINE_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    problems.push(masker.text(`${what}: ${String((error as Error)?.message ?? error)}`).slice(0, 300));
    return null;
  } finally {
    clearTimeout(timer);
  }
}

type KindCounts = Map<string, Counts>;

/**
 * Reads the home page's facts. Keeps each settled hour's counts (per record kind) between
 * looks, so a look reads the last hour or two of the exchange log, not the whole day.
 */
export function createFlowFactsReader(data: Pick<WebData, "db" | "bus" | "subjects" | "flows" | "circuits" | "alerts">, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const settledHours = new Map<number, KindCounts>();

  /** Outcomes per record kind and bucket of `sizeMs`, at or after `from` and before `to`. */
  async function countOutcomes(from: number, to: number | null, sizeMs: number): Promise<Map<number, KindCounts>> {
    // An integer bucket (seconds since the epoch over the size) lets PostgreSQL hash the few groups instead of sorting the rows.
    const rows = await queryRows<{ system: string; entity: string; bucket: number; ok: number; failed: number; retries: number }>(data.db, sql`
        select system, entity, (floor(extract(epoch from at))::bigint / ${sizeMs / 1000})::int as bucket,
               count(*) filter (where result in (${list(OK_RESULTS)}))::int as ok,
               count(*) filter (where result in (${list(FAILED_RESULTS)}))::int as failed,
               count(*) filter (where result = 'retrying')::int as retries
        from exchange_log
        where at >= ${new Date(from).toISOString()}::timestamptz
          ${to === null ? sql`` : sql`and at < ${new Date(to).toISOString()}::timestamptz`}
          and stage in (${list(STAGES)}) and result in (${list(COUNTED_RESULTS)})
          and not (stage = 'resolver' and result = 'dry-run')
        group by 1, 2, 3`);
    const buckets = new Map<number, KindCounts>();
    for (const r of rows) {
      const start = r.bucket * sizeMs;
      const kinds = buckets.get(start) ?? new Map<string, Counts>();
      kinds.set(`${r.system}.${r.entity}`, { ok: r.ok, failed: r.failed, retries: r.retries });
      buckets.set(start, kinds);
    }
    return buckets;
  }

  const perFlow = (kinds: KindCounts | undefined): Record<FlowName, Counts> => {
    const out = Object.fromEntries(FLOW_NAMES.map((f) => [f, zero()])) as Record<FlowName, Counts>;
    for (const [kind, counts] of kinds ?? []) {
      const [system, entity] = kind.split(".");
      const flow = flowOfSource(system, entity);
      if (flow) add(out[flow], counts);
    }
    return out;
  };

  /** The last hour in five-minute buckets and the last day in hours, per flow. */
  async function readVolumes(at: number): Promise<{ hour: Record<FlowName, Bucket[]>; day: Record<FlowName, Bucket[]> }> {
    const fives = bucketStarts(at, FIVE_MINUTES, 12);
    const hours = bucketStarts(at, HOUR, 24);
    const currentHour = hours[hours.length - 1] ?? at;
    for (const start of settledHours.keys()) if (start < (hours[0] ?? 0)) settledHours.delete(start);
    const missing = hours.slice(0, -1).filter((h) => !settledHours.has(h));
    const [recent, older] = await Promise.all([countOutcomes(fives[0] ?? at, null, FIVE_MINUTES), missing.length > 0 ? countOutcomes(Math.min(...missing), currentHour, HOUR) : Promise.resolve(new Map<number, KindCounts>())]);
    const hourKinds = new Map<number, KindCounts>();
    for (const h of hours.slice(0, -1)) {
      const kinds = settledHours.get(h) ?? older.get(h) ?? new Map<string, Counts>();
      if (!settledHours.has(h) && at - (h + HOUR) >= SETTLED_AFTER_MS) settledHours.set(h, kinds);
      hourKinds.set(h, kinds);
    }
    // The current hour so far: its five-minute buckets.
    const current = new Map<string, Counts>();
    for (const [start, kinds] of recent) {
      if (start < currentHour) continue;
      for (const [kind, c] of kinds) {
        const sum = current.get(kind) ?? zero();
        add(sum, c);
        current.set(kind, sum);
      }
    }
    hourKinds.set(currentHour, current);
    const hour = Object.fromEntries(FLOW_NAMES.map((f) => [f, [] as Bucket[]])) as Record<FlowName, Bucket[]>;
    const day = Object.fromEntries(FLOW_NAMES.map((f) => [f, [] as Bucket[]])) as Record<FlowName, Bucket[]>;
    for (const start of fives) {
      const flows = perFlow(recent.get(start));
      for (const f of FLOW_NAMES) hour[f].push({ start, ...flows[f] });
    }
    for (const start of hours) {
      const flows = perFlow(hourKinds.get(start));
      for (const f of FLOW_NAMES) day[f].push({ start, ...flows[f] });
    }
    return { hour, day };
  }

  async function readDeadLetters(at: number) {
    const rows = await queryRows<{ system: string | null; entity: string | null; open: number; recent: number }>(data.db, sql`
        select system, entity, count(*)::int as open, count(*) filter (where last_failed_at >= ${new Date(at - HOUR).toISOString()}::timestamptz)::int as recent
        from dead_letters where status = 'open'
        group by system, entity`);
    const out = Object.fromEntries(FLOW_NAMES.map((f) => [f, { open: 0, newLastHour: 0 }])) as Record<FlowName, { open: number; newLastHour: number }>;
    let withoutFlow = 0;
    for (const r of rows) {
      const flow = flowOfSource(r.system, r.entity);
      if (!flow) withoutFlow += r.open;
      else {
        out[flow].open += r.open;
        out[flow].newLastHour += r.recent;
      }
    }
    return { perFlow: out, withoutFlow };
  }

  async function readDecisions() {
    const rows = await queryRows<{ source_system: string; source_entity: string; n: number }>(data.db, sql`select source_system, source_entity, count(*)::int as n from decisions where status = 'open' group by 1, 2`);
    const out = Object.fromEntries(FLOW_NAMES.map((f) => [f, 0])) as Record<FlowName, number>;
    for (const r of rows) {
      const flow = flowOfSource(r.source_system, r.source_entity);
      if (flow) out[flow] += r.n;
    }
    return out;
  }

  async function readConflicts(at: number) {
    // The newest conflicts by id (its index), then the last day's of them: bounded however many there are.
    const rows = await queryRows<{ source_system: string; source_entity: string; n: number; looked: number }>(data.db, sql`
        with newest as (select mapping_id, detected_at from conflicts order by id desc limit ${CONFLICTS_LOOKED_AT})
        select m.source_system, m.source_entity, count(*)::int as n, (select count(*)::int from newest) as looked
        from newest c join id_mapping m on m.id = c.mapping_id
        where c.detected_at >= ${new Date(at - 24 * HOUR).toISOString()}::timestamptz
        group by 1, 2`);
    const capped = rows.some((r) => r.looked >= CONFLICTS_LOOKED_AT);
    const out = Object.fromEntries(FLOW_NAMES.map((f) => [f, { count: 0, capped }])) as Record<FlowName, { count: number; capped: boolean }>;
    for (const r of rows) {
      const flow = flowOfSource(r.source_system, r.source_entity);
      if (flow) out[flow].count += r.n;
    }
    return out;
  }

  /** The first messages of `subject` from `seq` on, up to the cap. */
  async function walk(stream: string, seq: number, subject: string) {
    const found: Array<{ seq: number; time: number; data: () => unknown }> = [];
    const query = (from: number) => ({ seq: from, next_by_subj: subject }) as unknown as Parameters<typeof data.bus.jsm.streams.getMessage>[1];
    for (let from = seq; found.length < BACKLOG_CAP; ) {
      const m = await data.bus.jsm.streams.getMessage(stream, query(from)).catch(() => null);
      if (!m) break;
      found.push({ seq: m.seq, time: m.time.getTime(), data: () => m.json<unknown>() });
      from = m.seq + 1;
    }
    return found;
  }

  /**
   * Each flow's messages not yet delivered to the consumer that takes them (exactly, up to the
   * cap per subject), with the oldest one's time; and each consumer's own queue. A delivered,
   * unacknowledged message (in handling, or waiting for its redelivery — held for a decision,
   * say) is counted at its consumer: JetStream does not tell which of those are acknowledged.
   */
  async function readBacklog() {
    const streams = [data.subjects.streams.events, data.subjects.streams.commands];
    const consumers: Array<{ stream: string; info: ConsumerInfo }> = [];
    for (const stream of streams) for await (const info of await data.bus.jsm.consumers.list(stream)) consumers.push({ stream, info });
    const queues: QueueView[] = [];
    const perFlow = Object.fromEntries(FLOW_NAMES.map((f) => [f, { waiting: 0, capped: false, oldestAt: null as number | null }])) as Record<FlowName, { waiting: number; capped: boolean; oldestAt: number | null }>;
    const walks: Array<Promise<void>> = [];
    for (const { stream, info } of consumers) {
      const filters = info.config.filter_subjects?.length ? info.config.filter_subjects : [info.config.filter_subject ?? ">"];
      const isEvents = stream === data.subjects.streams.events;
      queues.push({ stream, consumer: info.config.durable_name ?? info.name, pending: info.num_pending, ackPending: info.num_ack_pending, oldestAt: null });
      const queue = queues[queues.length - 1]!;
      if (info.num_pending + info.num_ack_pending > 0) {
        walks.push(
          (async () => {
            const first = await data.bus.jsm.streams.getMessage(stream, { seq: info.ack_floor.stream_seq + 1, next_by_subj: filters[0] } as unknown as { seq: number }).catch(() => null);
            queue.oldestAt = first ? first.time.toISOString() : null;
          })(),
        );
      }
      if (info.num_pending === 0) continue;
      for (const flow of FLOW_NAMES) {
        for (const kind of isEvents ? flowSources[flow] : flowCommands[flow]) {
          const subject = isEvents ? data.subjects.event(kind.system, kind.entity) : data.subjects.command(kind.system, kind.entity);
          if (!filters.some((f) => subjectMatches(f, subject))) continue;
          walks.push(
            (async () => {
              const messages = await walk(stream, info.delivered.stream_seq + 1, subject);
              for (const m of messages) {
                // A command names its source record, which tells its flow better than its subject.
                const source = isEvents ? null : ((m.data() as { source?: { system?: string; entity?: string } } | null)?.source ?? null);
                const owner = (source && flowOfSource(source.system, source.entity)) ?? (isEvents ? flow : (flowOfCommand(kind.system, kind.entity) ?? flow));
                const entry = perFlow[owner];
                entry.waiting++;
                entry.oldestAt = entry.oldestAt === null ? m.time : Math.min(entry.oldestAt, m.time);
              }
              if (messages.length >= BACKLOG_CAP) perFlow[flow].capped = true;
            })(),
          );
        }
      }
    }
    await Promise.all(walks);
    return { queues, perFlow };
  }

  async function readCircuits(): Promise<Record<System, CircuitFact>> {
    const views = await data.circuits();
    const out: Record<System, CircuitFact> = {
      bitrix24: { target: "bitrix24", status: "unknown", since: null, lastCode: null, lastError: null },
      onec: { target: "onec", status: "unknown", since: null, lastCode: null, lastError: null },
    };
    for (const v of views) {
      out[v.target] = v.status === "unknown" ? { target: v.target, status: "unknown", since: null, lastCode: null, lastError: v.reason } : { target: v.target, status: v.status, since: v.since, lastCode: v.lastCode, lastError: v.lastError };
    }
    return out;
  }

  return {
    /** Reads the last day's settled hours ahead of the first look (at start-up: the one look that reads a whole day). */
    warm: () => readVolumes(now()).then(() => undefined),

    async read(): Promise<HomeView> {
      const at = now();
      const problems: string[] = [];
      const [modes, circuits, volumes, deadLetters, decisions, conflicts, backlog, alerts] = await Promise.all([
        withDeadline("flow modes", data.flows.list(), problems),
        withDeadline("circuits", readCircuits(), problems),
        withDeadline("exchange log", readVolumes(at), problems),
        withDeadline("dead letters", readDeadLetters(at), problems),
        withDeadline("decisions", readDecisions(), problems),
        withDeadline("conflicts", readConflicts(at), problems),
        withDeadline("backlog", readBacklog(), problems),
        data.alerts ? withDeadline("alerts", data.alerts.list({ status: "active", limit: 500 }), problems) : Promise.resolve(null),
      ]);
      const flows = FLOW_NAMES.map((flow): FlowView => {
        const mode = modes?.find((m) => m.flow === flow);
        const hour = volumes?.hour[flow] ?? null;
        const lastHour = hour ? hour.reduce((sum, b) => (add(sum, b), sum), zero()) : null;
        const flowBacklog = backlog?.perFlow[flow];
        const facts: FlowFacts = {
          flow,
          mode: mode ? { mode: mode.mode, since: mode.since, by: mode.record?.by ?? null } : { mode: "live", since: null, by: null },
          circuits: flowTargets[flow].map((target) => circuits?.[target] ?? { target, status: "unknown", since: null, lastCode: null, lastError: null }),
          lastHour,
          deadLetters: deadLetters?.perFlow[flow] ?? null,
          backlog: flowBacklog ? { waiting: flowBacklog.waiting, capped: flowBacklog.capped, oldestAt: flowBacklog.oldestAt === null ? null : new Date(flowBacklog.oldestAt).toISOString() } : null,
        };
        const health = classifyFlow(facts, at);
        if (!mode) health.reasons.push({ kind: "unknown", what: "mode" });
        return {
          facts,
          health,
          hour,
          day: volumes?.day[flow] ?? null,
          decisionsWaiting: decisions?.[flow] ?? null,
          conflicts: conflicts?.[flow] ?? null,
          alerts: alerts ? alerts.alerts.filter((a) => alertFlows(a).includes(flow)) : null,
        };
      });
      return {
        now: at,
        flows,
        queues: backlog?.queues ?? null,
        alerts: { configured: data.alerts !== undefined, active: alerts?.alerts ?? null },
        deadLettersWithoutFlow: deadLetters?.withoutFlow ?? null,
        problems,
      };
    },
  };
}
export type FlowFactsReader = ReturnType<typeof createFlowFactsReader>;
