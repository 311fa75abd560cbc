import type { ODataMethod } from "./faults";

/** Request counts per set and method, plus committed writes (OData and admin separately). */
export interface SetStats {
  GET: number;
  POST: number;
  PATCH: number;
  DELETE: number;
  Post: number;
  Unpost: number;
  /** Writes committed through OData (what a client actually changed). */
  writes: number;
  /** Writes committed through the admin API (the simulated 1C manager). */
  adminWrites: number;
}

const empty = (): SetStats => ({ GET: 0, POST: 0, PATCH: 0, DELETE: 0, Post: 0, Unpost: 0, writes: 0, adminWrites: 0 });

/** Faults the injector actually applied (what a chaos run reports), by kind. */
export interface InjectedFaults {
  error: number;
  timeout: number;
  lock: number;
  commitThenFail: number;
  slowCommit: number;
}
const noFaults = (): InjectedFaults => ({ error: 0, timeout: 0, lock: 0, commitThenFail: 0, slowCommit: 0 });

export class Stats {
  private sets = new Map<string, SetStats>();
  private since = new Date().toISOString();
  private injected = noFaults();

  private entry(set: string): SetStats {
    let s = this.sets.get(set);
    if (!s) {
      s = empty();
      this.sets.set(set, s);
    }
    return s;
  }

  countRequest(set: string, method: ODataMethod): void {
    this.entry(set)[method]++;
  }

  countWrite(set: string, source: "odata" | "admin"): void {
    const s = this.entry(set);
    if (source === "odata") s.writes++;
    else s.adminWrites++;
  }

  countFault(kind: keyof InjectedFaults): void {
    this.injected[kind]++;
  }

  snapshot(): { since: string; sets: Record<string, SetStats>; totals: SetStats; injectedFaults: InjectedFaults } {
    const totals = empty();
    for (const s of this.sets.values()) {
      for (const key of Object.keys(totals) as (keyof SetStats)[]) totals[key] += s[key];
    }
    return { since: this.since, sets: Object.fromEntries(this.sets), totals, injectedFaults: { ...this.injected } };
  }

  reset(): void {
    this.sets = new Map();
    this.injected = noFaults();
    this.since = new Date().toISOString();
  }
}
