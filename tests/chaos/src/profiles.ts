import type { LegacyShares } from "./legacy";

/** How big a run is: the workload, the fault window and the limits the run is judged by. */
export interface Profile {
  name: "ci" | "long";
  /** Deals a CRM user creates (with product rows), of which `poisonedDeals` have an unmapped stage. */
  deals: number;
  poisonedDeals: number;
  /** Orders a 1C manager creates. */
  onecOrders: number;
  /** New CRM companies, new 1C counterparties and new 1C products, each shared by several orders. */
  companies: number;
  counterparties: number;
  onecProducts: number;
  /** Edits per record (title, stage, rows / status, posting, payment), drawn in [min, max]. */
  editsPerRecord: readonly [number, number];
  /** Share of edits made on both sides of a pair at once. */
  bothSidesShare: number;
  /**
   * Issue 9: what Concord does not own, and what the target stores differently. Share of 1C-born
   * orders and counterparties the manager fills with fields Concord does not own (the customer's
   * number, delivery address and date, rows' characteristic, warehouse and VAT rate; an individual
   * entrepreneur's full name and address) …
   */
  unownedShare: number;
  /** … share of the manager's order edits that change such a field, … */
  managerUnownedShare: number;
  /** … share of CRM company titles longer than the 100 characters 1C keeps, … */
  longNameShare: number;
  /** … shares of deal rows with a percent discount and with a tax (20 %, included or not), … */
  discountedRowShare: number;
  taxedRowShare: number;
  /** … and edits per customer (a CRM rename or phone, the manager's fields; a third at once). */
  customerEdits: readonly [number, number];
  /** Calls the workload makes at once (each action starts at its planned time regardless). */
  concurrency: number;
  /** How long faults are injected; the workload runs inside this window. */
  faultWindowMs: number;
  /** Pause between two SIGKILLs, drawn in [min, max]. */
  killEveryMs: readonly [number, number];
  /** How long a killed process stays down, drawn in [min, max]. */
  downMs: readonly [number, number];
  /** One API-fault or event-fault phase lasts this long, drawn in [min, max]. */
  phaseMs: readonly [number, number];
  sweepIntervalMs: number;
  onecSweepIntervalMs: number;
  /**
   * The Bitrix24 request rate Concord is told the portal allows (`B24_RATE_PER_SEC`), or null
   * for Concord's default (a standard portal's 2/s). The sandbox itself allows 1,000/s.
   */
  crmRatePerSec: number | null;
  /** Likewise for 1C (`ONEC_RATE_PER_SEC`; default 20/s). The sandbox has no limit of its own. */
  onecRatePerSec: number | null;
  /** After the faults: the exchange log must stay unchanged this long to call the system drained. */
  quietMs: number;
  drainTimeoutMs: number;
  /** Invariant 7: Concord's writes to both systems per applied change stay at or under this. */
  writesPerAppliedBound: number;
  logLevel: "debug" | "info";
  /**
   * Issue 10: identity. CRM-born deals a user deletes in Bitrix24 (half of them restored from the
   * recycle bin later), orders a 1C manager marks for deletion (half unmarked later), orders a
   * manager copies (same `НомерПоДаннымКлиента`: a record of its own), forged ONCRMDEALDELETE
   * events posted to ingress for live deals, and one phase in which 1C commits order POSTs
   * after Concord's timeout (`slowCommitMs`).
   */
  crmDeletes: number;
  /**
   * Delete deals in Bitrix24 without waiting for their 1C order: off while a delete racing the
   * resolver's first read of a deal dead-letters that event (B24_NOT_FOUND; docs/reliability.md).
   */
  deleteUnsyncedDeals: boolean;
  onecDeletes: number;
  copies: number;
  forgedDeletes: number;
  slowCommitPhaseMs: number;
  /** Concord's 1C request timeout in the run (`ONEC_TIMEOUT_MS`): the slow commits outlive it. */
  onecTimeoutMs: number;
  /**
   * Issue 11: outages. One 1C outage (every OData request answered 500, then no answer) of this
   * length, starting at `onecOutageAt` of the window; a noisy neighbour spending the portal's
   * request budget for `noisyNeighbourMs`; a share of deletes and customer/product edits made
   * with their events lost (the sandbox drops every event meanwhile), caught up by sweeps and the
   * existence check.
   */
  onecOutageMs: number;
  onecOutageAt: number;
  noisyNeighbourMs: number;
  lostEventShare: number;
  /** 1C products the manager renames (1C is their master). */
  productEdits: number;
  /**
   * A command's record-scope retry budget (`RETRY_BUDGET_MS`), shorter than the outage: if an
   * outage counted against records, they would be dead-lettered within it.
   */
  retryBudgetMs: number;
  /** `CIRCUIT_PROBE_MAX_MS`: the longest wait between probes of an open circuit. */
  circuitProbeMaxMs: number;
  /** `CRM_EXISTENCE_INTERVAL_MS`: how often mapped deals are checked for deletes whose event was lost. */
  existenceIntervalMs: number;
  /** After the drain: how long the idle system is watched to count its requests. */
  idleWatchMs: number;
  /**
   * Issue 13: legacy customers seeded on both sides before the faults (groups per kind; see
   * legacy.ts), deals per `certain` customer, and how long after a decision shows up the person
   * at the console takes it.
   */
  legacy: LegacyShares;
}

export const profiles: Record<Profile["name"], Profile> = {
  ci: {
    name: "ci",
    deals: 40,
    poisonedDeals: 3,
    onecOrders: 15,
    companies: 8,
    counterparties: 4,
    onecProducts: 3,
    editsPerRecord: [1, 3],
    bothSidesShare: 0.3,
    unownedShare: 0.7,
    managerUnownedShare: 0.35,
    longNameShare: 0.4,
    discountedRowShare: 0.3,
    taxedRowShare: 0.4,
    customerEdits: [0, 2],
    concurrency: 6,
    faultWindowMs: 130_000,
    killEveryMs: [4_000, 8_000],
    downMs: [300, 2_000],
    phaseMs: [8_000, 15_000],
    sweepIntervalMs: 3_000,
    onecSweepIntervalMs: 3_000,
    crmRatePerSec: null,
    onecRatePerSec: null,
    quietMs: 10_000,
    drainTimeoutMs: 300_000,
    writesPerAppliedBound: 3,
    logLevel: "debug",
    // crm-writer now takes a deal deleted between its read and its write as gone (seed 457235;
    // docs/reliability.md, "Found by the suite").
    crmDeletes: 4,
    deleteUnsyncedDeals: true,
    onecDeletes: 4,
    copies: 3,
    forgedDeletes: 4,
    slowCommitPhaseMs: 10_000,
    onecTimeoutMs: 4_000,
    // 90 s of the 130 s window: longer than the run's retry budget (60 s), not than the default
    // 24 hours nor the old ~7-minute count-based schedule (the long profile's outage is).
    onecOutageMs: 90_000,
    onecOutageAt: 0.17,
    noisyNeighbourMs: 30_000,
    lostEventShare: 0.5,
    productEdits: 2,
    retryBudgetMs: 60_000,
    circuitProbeMaxMs: 8_000,
    existenceIntervalMs: 10_000,
    idleWatchMs: 15_000,
    // 12 deals and 5 1C orders on 12 legacy customers; 6 of them ambiguous (a person decides).
    legacy: { certain: 2, certainOnec: 2, both: 1, bothAtOnce: 2, branch: 1, soleTrader: 1, onecDuplicates: 3, crmDuplicates: 2, crmDuplicateDeals: 1, dealsPerCustomer: [1, 2], decisionDelayMs: [3_000, 30_000] },
  },
  long: {
    name: "long",
    deals: 8_000,
    poisonedDeals: 20,
    onecOrders: 2_000,
    companies: 400,
    counterparties: 100,
    onecProducts: 30,
    // Half an edit per record on average. Every action makes about 5 events (webhooks, echoes
    // of Concord's own writes, sweeps), and on 2 cores every process, both sandboxes and the
    // workload share the CPU: with 1–3 edits per record (30,000 actions) a run would take over
    // two hours; with 0–1 it took 51 minutes. The ci profile keeps 1–3.
    editsPerRecord: [0, 1],
    bothSidesShare: 0.3,
    unownedShare: 0.5,
    managerUnownedShare: 0.35,
    longNameShare: 0.2,
    discountedRowShare: 0.3,
    taxedRowShare: 0.4,
    customerEdits: [0, 1],
    concurrency: 16,
    faultWindowMs: 1_800_000,
    killEveryMs: [8_000, 16_000],
    downMs: [300, 3_000],
    phaseMs: [10_000, 30_000],
    // Every Bitrix24 call of Concord shares one request budget: a 3 s sweep of a portal this
    // busy would spend much of it re-reading the same deals.
    sweepIntervalMs: 15_000,
    // The 1C sweep reads every order's DataVersion: at 10,000 orders, not every 3 s.
    onecSweepIntervalMs: 30_000,
    // Each event costs a few reads on both sides: at the default 2/s (Bitrix24) and 20/s (1C) the
    // 10,000 orders would take a day, and at 20/s Bitrix24 alone held Concord to about 5 events/s
    // with half the CPU idle. Rate-limit errors are injected as faults instead.
    crmRatePerSec: 200,
    onecRatePerSec: 200,
    quietMs: 40_000,
    drainTimeoutMs: 3 * 3_600_000,
    writesPerAppliedBound: 3,
    logLevel: "info",
    crmDeletes: 100,
    deleteUnsyncedDeals: false,
    onecDeletes: 100,
    copies: 50,
    forgedDeletes: 50,
    slowCommitPhaseMs: 60_000,
    onecTimeoutMs: 10_000,
    // Longer than the old count-based schedule (~7 minutes) and than the run's retry budget.
    onecOutageMs: 600_000,
    onecOutageAt: 0.3,
    noisyNeighbourMs: 300_000,
    lostEventShare: 0.5,
    productEdits: 10,
    retryBudgetMs: 300_000,
    circuitProbeMaxMs: 60_000,
    existenceIntervalMs: 60_000,
    idleWatchMs: 60_000,
    legacy: { certain: 60, certainOnec: 30, both: 15, bothAtOnce: 15, branch: 10, soleTrader: 10, onecDuplicates: 25, crmDuplicates: 15, crmDuplicateDeals: 10, dealsPerCustomer: [1, 3], decisionDelayMs: [5_000, 180_000] },
  },
};
