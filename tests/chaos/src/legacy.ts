import { setTimeout as sleep } from "node:timers/promises";
import { createRandom, type Random } from "./prng";

/**
 * Issue 13: systems with history. Before the faults both sandboxes get customers that lived apart
 * for years — the same company on both sides (one INN + KPP), the same company twice in 1C or in
 * the CRM, a branch (same INN, another KPP), a sole trader (INN only) — and during the run their
 * deals and 1C orders make Concord match them by business keys. Ambiguous ones wait for a person:
 * the decider below plays that person at the console. Everything is drawn from a seeded stream of
 * its own, so the rest of the plan of a seed stays as it was.
 */

/**
 * What a group of legacy records is, and so what Concord must do with it:
 * * `certain`: one CRM company and one 1C counterparty with the same INN + KPP; CRM deals → linked (`match:innKpp`);
 * * `certainOnec`: the same, but 1C-born orders → the counterparty linked to the company;
 * * `both`: the same, a deal first and, once the pair exists, a 1C-born order on its counterparty;
 * * `bothAtOnce`: the same, its first deal and its first 1C-born order at the same moment: both
 *   directions claim the one identity → one pair, linked by keys, no decision;
 * * `branch`: the CRM company's KPP differs from the 1C counterparty's (same INN) → a new counterparty;
 * * `soleTrader`: a 12-digit INN and no KPP on both sides → linked (`match:inn`);
 * * `onecDuplicates`: one CRM company, two 1C counterparties with its INN + KPP → a decision;
 * * `crmDuplicates`: two CRM companies, one 1C counterparty with their INN + KPP; 1C-born orders → a decision;
 * * `crmDuplicateDeals`: the same, with deals on both companies → one is linked, the other waits
 *   (the only match is linked already), a decision.
 */
export type LegacyKind = "certain" | "certainOnec" | "both" | "bothAtOnce" | "branch" | "soleTrader" | "onecDuplicates" | "crmDuplicates" | "crmDuplicateDeals";
export const LEGACY_KINDS: readonly LegacyKind[] = ["certain", "certainOnec", "both", "bothAtOnce", "branch", "soleTrader", "onecDuplicates", "crmDuplicates", "crmDuplicateDeals"];
/** Kinds whose business keys cannot decide alone: a person must. */
export const AMBIGUOUS_KINDS: ReadonlySet<LegacyKind> = new Set(["onecDuplicates", "crmDuplicates", "crmDuplicateDeals"]);

export type DecisionAction = "link" | "create" | "ignore";

/** A profile's legacy share: groups per kind, deals per `certain` customer, the person's delay before deciding. */
export type LegacyShares = Record<LegacyKind, number> & { dealsPerCustomer: readonly [number, number]; decisionDelayMs: readonly [number, number] };

export interface LegacyGroupPlan {
  label: string;
  kind: LegacyKind;
  inn: string;
  /** The KPP of the CRM companies' requisites, and of the 1C counterparties (a branch: another). */
  crmKpp: string | null;
  onecKpp: string | null;
  crm: Array<{ title: string }>;
  onec: Array<{ name: string }>;
  /** Deals on a CRM company of the group (index into `crm`), at a time in the window. */
  deals: Array<{ company: number; at: number; rows: Array<{ sku: string; quantity: number }>; stage: string }>;
  /** 1C-born orders on a counterparty of the group (index into `onec`); `afterPair`: made only once the pair exists. */
  orders: Array<{ counterparty: number; at: number; lines: Array<{ sku: string; quantity: number; price: number }>; afterPair: boolean }>;
  /** What the person decides when asked about this group, how long after the question shows, and which candidate. */
  decide: { action: DecisionAction; pick: number; delayMs: number };
}

export interface LegacyPlan {
  groups: LegacyGroupPlan[];
}

const SKUS = Array.from({ length: 12 }, (_, i) => `SKU-${String(i + 1).padStart(3, "0")}`);

/** Legacy INNs live apart from the workload's own 1C counterparties (77…): no accidental match. */
function innOf(seed: number, n: number, soleTrader: boolean): string {
  const base = (seed % 100_000) * 1_000 + n;
  return soleTrader ? `52${String(base).padStart(10, "0")}`.slice(0, 12) : `52${String(base).padStart(8, "0")}`.slice(0, 10);
}

export function planLegacy(shares: LegacyShares, window: number, seed: number, afterOutageMs: number): LegacyPlan {
  const random = createRandom(seed, 5);
  const groups: LegacyGroupPlan[] = [];
  // The first decisions cover each action once (in a seeded order); the rest lean to linking.
  const firstActions: DecisionAction[] = ["link", "create", "ignore"];
  for (let i = firstActions.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [firstActions[i], firstActions[j]] = [firstActions[j] as DecisionAction, firstActions[i] as DecisionAction];
  }
  let decisions = 0;
  const nextAction = (): DecisionAction => firstActions[decisions++] ?? (random.chance(0.5) ? "link" : random.chance(0.5) ? "create" : "ignore");
  const rows = () => {
    const count = random.int(1, 2);
    const chosen = new Set<string>();
    while (chosen.size < count) chosen.add(random.pick(SKUS));
    return [...chosen].map((sku) => ({ sku, quantity: random.int(1, 4) }));
  };
  const lines = () => rows().map((r) => ({ ...r, price: 10 * random.int(10, 90) }));
  const early = () => random.int(0, Math.round(window * 0.45));
  // Ambiguous customers' orders come first: their questions show before the 1C outage, as a rule,
  // so people decide while it lasts and the held orders resume after it.
  const first = () => random.int(0, Math.round(window * 0.12));
  const [minDelay, maxDelay] = shares.decisionDelayMs;
  let n = 0;
  for (const kind of LEGACY_KINDS) {
    for (let g = 0; g < shares[kind]; g++) {
      n++;
      const soleTrader = kind === "soleTrader";
      const label = `Наследие ${seed}-${n}`;
      const inn = innOf(seed, n, soleTrader);
      const kpp = soleTrader ? null : `52${String(n % 100).padStart(2, "0")}01001`;
      const twoCrm = kind === "crmDuplicates" || kind === "crmDuplicateDeals";
      const group: LegacyGroupPlan = {
        label,
        kind,
        inn,
        crmKpp: kind === "branch" ? `52${String(n % 100).padStart(2, "0")}02001` : kpp,
        onecKpp: kpp,
        // The names differ on the two sides, as they do after years apart: the CRM's wins once linked.
        crm: twoCrm ? [{ title: `${label} (CRM)` }, { title: `${label} (CRM, дубль)` }] : [{ title: `${soleTrader ? "ИП" : "ООО"} ${label}` }],
        onec: kind === "onecDuplicates" ? [{ name: `${label} ООО` }, { name: `${label} ООО (дубль)` }] : [{ name: soleTrader ? `ИП ${label}` : `${label}, ООО` }],
        deals: [],
        orders: [],
        decide: { action: AMBIGUOUS_KINDS.has(kind) ? nextAction() : "link", pick: random.int(0, 7), delayMs: random.int(minDelay, maxDelay) },
      };
      const stage = () => random.pick(["NEW", "PREPARATION", "EXECUTING"]);
      if (kind === "certainOnec" || kind === "crmDuplicates") {
        group.orders.push({ counterparty: 0, at: kind === "crmDuplicates" ? first() : early(), lines: lines(), afterPair: false });
      } else if (kind === "bothAtOnce") {
        const at = early();
        group.deals.push({ company: 0, at, rows: rows(), stage: stage() });
        group.orders.push({ counterparty: 0, at, lines: lines(), afterPair: false });
      } else if (kind === "crmDuplicateDeals") {
        // The first company's deal comes first; the second's some seconds later.
        const first = random.int(0, Math.round(window * 0.15));
        group.deals.push({ company: 0, at: first, rows: rows(), stage: stage() });
        group.deals.push({ company: 1, at: first + random.int(15_000, Math.max(16_000, Math.round(window * 0.3))), rows: rows(), stage: stage() });
      } else {
        const count = kind === "certain" ? random.int(shares.dealsPerCustomer[0], shares.dealsPerCustomer[1]) : 1;
        // A `both` deal comes early: its match links the pair before the 1C outage, as a rule, and the 1C order waits for that.
        for (let d = 0; d < count; d++) group.deals.push({ company: 0, at: kind === "both" ? random.int(0, Math.round(window * 0.15)) : kind === "onecDuplicates" ? first() : early(), rows: rows(), stage: stage() });
        // A 1C-born order of a counterparty already linked: no second company (the pair forms after the 1C outage at worst).
        if (kind === "both") group.orders.push({ counterparty: 0, at: random.int(afterOutageMs, Math.max(afterOutageMs + 1_000, window - 6_000)), lines: lines(), afterPair: true });
      }
      groups.push(group);
    }
  }
  return { groups };
}

/** What the workload made of the plan: the ids of the legacy records, their deals and orders. */
export interface LegacyGroupResult {
  label: string;
  kind: LegacyKind;
  inn: string;
  crmKpp: string | null;
  onecKpp: string | null;
  /** CRM company ids, by index in the plan. */
  crm: string[];
  /** 1C counterparty Ref_Keys (lower case), by index in the plan. */
  onec: string[];
  deals: Array<{ id: string; company: number }>;
  orders: Array<{ ref: string; counterparty: number }>;
}

/** A decision as the person took it at the console (or found taken). */
export interface DecisionTaken {
  id: number;
  source: string;
  group: string | null;
  reason: string;
  candidates: string[];
  action: DecisionAction;
  chosen: string | null;
  /** When the decider first saw it open, and when it decided (ms since the epoch). */
  seenAt: number;
  decidedAt: number;
  /** Links refused (the candidate is linked to another record), before the person chose otherwise. */
  refused: number;
  /** Taken inside the fault window (the kills, API faults, the 1C outage still going). */
  duringFaults: boolean;
}

export interface DeciderResult {
  taken: DecisionTaken[];
  /** Open decisions when the decider stopped. */
  open: number;
  /** Console calls that failed (a killed console, a restarting PostgreSQL) and were retried. */
  retries: number;
  /** Decisions closed before the person took them: the record was linked by its counterpart's own first change. */
  superseded: number;
}

interface ApiDecision {
  id: number;
  source: { system: string; entity: string; id: string };
  reason: string;
  candidates: Array<{ id: string; linkedTo: string | null }>;
  status: "open" | "decided" | "superseded";
  action: DecisionAction | null;
  chosenId: string | null;
}

/** The key of a decision's source record, as the workload knows it. */
export const sourceKey = (system: string, entity: string, id: string) => `${system}:${entity}:${id.toLowerCase()}`;

/**
 * A person at the console: looks at the open decisions every couple of seconds and takes each some
 * seconds after it shows up (the group's planned delay; right away once the fault window is over),
 * as planned: link to a candidate nobody else holds (create when the console refuses the link),
 * create, or ignore. A decision about a record the workload did not plan as ambiguous is decided
 * too (the run must drain), and the checker names it.
 */
export function createDecider(options: { consoleUrl: string; token: string; groups: Map<string, LegacyGroupPlan>; windowEnd: () => number | null; random: Random; log: (line: string) => void }) {
  const taken: DecisionTaken[] = [];
  const due = new Map<number, { at: number; decision: ApiDecision; seenAt: number }>();
  const done = new Set<number>();
  let retries = 0;
  let superseded = 0;
  let open = 0;
  let stopped = false;

  async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const response = await fetch(`${options.consoleUrl}${path}`, {
      ...init,
      headers: { "content-type": "application/json", authorization: `Bearer ${options.token}` },
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as T };
  }

  async function decide(decision: ApiDecision, seenAt: number): Promise<void> {
    const group = options.groups.get(sourceKey(decision.source.system, decision.source.entity, decision.source.id)) ?? null;
    const plan = group?.decide ?? { action: "link" as const, pick: 0 };
    let action: DecisionAction = plan.action;
    let refused = 0;
    const free = decision.candidates.filter((c) => c.linkedTo === null);
    // Link to a candidate no other record holds; with none, the person creates a new record.
    let candidate = free.length > 0 ? (free[plan.pick % free.length] as { id: string }).id : null;
    if (action === "link" && candidate === null) {
      action = "create";
      refused++;
    }
    let decided = false;
    // A killed console or a restarting PostgreSQL refuses for a while; the person tries again.
    for (let attempt = 0; attempt < 180 && !decided; attempt++) {
      const body = action === "link" ? { action, candidate, reason: "chaos: the person links" } : { action, reason: `chaos: the person chooses ${action}` };
      const answer = await api<{ error?: string; decision?: { action: DecisionAction; chosenId: string | null } }>(`/api/decisions/${decision.id}`, { method: "POST", body: JSON.stringify(body) }).catch(() => null);
      if (answer?.status === 200) {
        decided = true;
        break;
      }
      if (answer?.status === 409 && answer.body.error === "TARGET_ALREADY_MAPPED") {
        // The candidate was linked to another record meanwhile: the console says so; create instead.
        refused++;
        action = "create";
        candidate = null;
        continue;
      }
      if (answer?.status === 409 && answer.body.error === "DECISION_CLOSED") {
        // Taken by an earlier attempt whose answer was lost (a killed console): read what it was.
        const all = await api<{ decisions: ApiDecision[] }>("/api/decisions?status=all&limit=500").catch(() => null);
        const found = all?.body.decisions?.find((d) => d.id === decision.id);
        if (found?.status === "superseded") {
          // The record was linked meanwhile by its counterpart's own first change: nothing to decide.
          superseded++;
          return void options.log(`decision ${decision.id} (${group?.label ?? "not a legacy record"}): superseded before the person decided`);
        }
        if (found?.action) {
          action = found.action;
          candidate = found.chosenId;
          decided = true;
          break;
        }
      }
      retries++;
      await sleep(1_000);
    }
    if (!decided) return void options.log(`decision ${decision.id}: the console refused every attempt`);
    taken.push({
      id: decision.id,
      source: sourceKey(decision.source.system, decision.source.entity, decision.source.id),
      group: group?.label ?? null,
      reason: decision.reason,
      candidates: decision.candidates.map((c) => c.id.toLowerCase()),
      action,
      chosen: action === "link" ? (candidate?.toLowerCase() ?? null) : null,
      seenAt,
      decidedAt: Date.now(),
      refused,
      duringFaults: options.windowEnd() === null,
    });
    options.log(`decision ${decision.id} (${group?.label ?? "not a legacy record"}): ${action}${action === "link" ? ` ${candidate}` : ""}`);
  }

  const loop = (async () => {
    const inFlight = new Set<Promise<void>>();
    while (!stopped) {
      const listed = await api<{ decisions: ApiDecision[] }>("/api/decisions?status=open&limit=500").catch(() => null);
      if (listed?.status === 200 && Array.isArray(listed.body.decisions)) {
        open = listed.body.decisions.length;
        for (const d of listed.body.decisions) {
          if (done.has(d.id) || due.has(d.id)) continue;
          const group = options.groups.get(sourceKey(d.source.system, d.source.entity, d.source.id));
          const delay = group?.decide.delayMs ?? options.random.int(2_000, 10_000);
          due.set(d.id, { at: Date.now() + delay, decision: d, seenAt: Date.now() });
        }
      } else retries++;
      const windowEnd = options.windowEnd();
      for (const [id, entry] of due) {
        // Once the faults are over nobody lets a question wait: the run must drain.
        const at = windowEnd === null ? entry.at : Math.min(entry.at, Math.max(windowEnd, entry.seenAt + 2_000));
        if (Date.now() < at) continue;
        due.delete(id);
        // Still listed as open while the person's answer is on its way: not taken twice.
        done.add(id);
        const p = decide(entry.decision, entry.seenAt).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await sleep(2_000);
    }
    await Promise.all(inFlight);
  })();

  return {
    /** Stops looking (the decisions in flight finish) and says what was decided. */
    async stop(): Promise<DeciderResult> {
      stopped = true;
      await loop;
      const listed = await api<{ decisions: ApiDecision[] }>("/api/decisions?status=open&limit=500").catch(() => null);
      if (listed?.status === 200 && Array.isArray(listed.body.decisions)) open = listed.body.decisions.length;
      return { taken: [...taken].sort((a, b) => a.id - b.id), open, retries, superseded };
    },
  };
}
