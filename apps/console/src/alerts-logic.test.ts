import { afterFailedAttempt, backoffMs, errorRateExceeded, planAlerts, slotsLeft, sustained, type ActiveAlert, type Condition } from "./alerts-logic";

const condition = (subject: string, rule: Condition["rule"] = "dead-letter"): Condition => ({ rule, subject, summary: `${subject} failed`, details: {} });
const active = (id: number, subject: string, lastNoticeAt = 0, rule: ActiveAlert["rule"] = "dead-letter"): ActiveAlert => ({ id, key: `${rule}:${subject}`, rule, subject, lastNoticeAt: new Date(lastNoticeAt), notices: 1 });

describe("planAlerts", () => {
  it("fires what is new, keeps what holds, resolves what cleared", () => {
    const plan = planAlerts([active(1, "a"), active(2, "b")], [{ rule: "dead-letter", conditions: [condition("b"), condition("c")] }], 1_000, 0);
    expect(plan.fire.map((c) => c.subject)).toEqual(["c"]);
    expect(plan.still.map((s) => s.alert.id)).toEqual([2]);
    expect(plan.resolve.map((a) => a.id)).toEqual([1]);
    expect(plan.repeat).toEqual([]);
  });

  it("never resolves an alert of a rule whose check failed or did not cover it", () => {
    const alerts = [active(1, "onec", 0, "circuit-open"), active(2, "x")];
    expect(planAlerts(alerts, [], 1_000, 0).resolve).toEqual([]);
    const plan = planAlerts(alerts, [{ rule: "circuit-open", conditions: [], covers: (s) => s !== "onec" }, { rule: "dead-letter", conditions: [] }], 1_000, 0);
    expect(plan.resolve.map((a) => a.id)).toEqual([2]);
  });

  it("repeats a still-active alert once the repeat interval passed since its last notice", () => {
    const holds = [{ rule: "dead-letter" as const, conditions: [condition("a"), condition("b")] }];
    const plan = planAlerts([active(1, "a", 0), active(2, "b", 9_500)], holds, 10_000, 10_000);
    expect(plan.repeat.map((a) => a.id)).toEqual([1]);
    expect(planAlerts([active(1, "a", 0)], holds, 10_000, 0).repeat).toEqual([]);
  });

  it("a condition seen twice in one look fires once", () => {
    expect(planAlerts([], [{ rule: "dead-letter", conditions: [condition("a"), condition("a")] }], 0, 0).fire).toHaveLength(1);
  });
});

describe("delivery", () => {
  it.each([
    [1, 10_000],
    [2, 60_000],
    [3, 300_000],
    [9, 300_000],
  ])("after %i failed attempt(s) waits %i ms", (attempts, wait) => {
    expect(backoffMs(attempts, [10, 60, 300])).toBe(wait);
  });

  it("tells a failure that will be retried from the final one", () => {
    expect(afterFailedAttempt(1, 3, [1, 2], 1_000)).toEqual({ status: "pending", nextAttemptAt: 2_000, final: false });
    expect(afterFailedAttempt(2, 3, [1, 2], 1_000)).toEqual({ status: "pending", nextAttemptAt: 3_000, final: false });
    expect(afterFailedAttempt(3, 3, [1, 2], 1_000)).toEqual({ status: "failed", final: true });
    expect(afterFailedAttempt(1, 1, [1], 0).final).toBe(true);
  });

  it("throttles a channel to its notices per minute", () => {
    expect(slotsLeft(0, 20)).toBe(20);
    expect(slotsLeft(19, 20)).toBe(1);
    expect(slotsLeft(25, 20)).toBe(0);
  });
});

describe("rule helpers", () => {
  it("a condition alerts only once it has lasted", () => {
    const since = new Map<string, number>();
    expect(sustained([{ subject: "resolver" }], since, 1_000, 0)).toEqual([]);
    expect(sustained([{ subject: "resolver" }], since, 1_000, 999)).toEqual([]);
    expect(sustained([{ subject: "resolver" }], since, 1_000, 1_000)).toEqual([{ subject: "resolver", sinceMs: 0 }]);
    // Gone once: the clock starts again.
    expect(sustained([], since, 1_000, 1_500)).toEqual([]);
    expect(sustained([{ subject: "resolver" }], since, 1_000, 2_000)).toEqual([]);
  });

  it("error rate needs enough outcomes and a share at or over the threshold", () => {
    expect(errorRateExceeded(10, 5, 0.2, 20)).toBe(false);
    expect(errorRateExceeded(20, 4, 0.2, 20)).toBe(true);
    expect(errorRateExceeded(20, 3, 0.2, 20)).toBe(false);
    expect(errorRateExceeded(0, 0, 0.2, 1)).toBe(false);
  });
});
