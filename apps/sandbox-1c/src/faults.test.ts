import { FaultInjector, FaultsSchema } from "./faults";
import { backoffDelay } from "./notifier";

describe("fault injection", () => {
  const config = FaultsSchema.parse({ seed: 7, "Document_ЗаказКлиента": { POST: { errorRate: 0.3, lockRate: 0.2 } } });

  test("same seed → same decisions", () => {
    const a = new FaultInjector(undefined);
    const b = new FaultInjector(undefined);
    a.set(config);
    b.set(config);
    const run = (f: FaultInjector) => Array.from({ length: 50 }, () => f.decide("Document_ЗаказКлиента", "POST").outcome);
    const first = run(a);
    expect(run(b)).toEqual(first);
    expect(new Set(first)).toEqual(new Set(["none", "error", "lock"]));
  });

  test("most specific rule wins: set+method over set over *", () => {
    const f = new FaultInjector(1);
    f.set(FaultsSchema.parse({ "*": { errorRate: 1 }, "Catalog_Контрагенты": { GET: { latencyMs: 5 } } }));
    expect(f.decide("Catalog_Контрагенты", "GET")).toMatchObject({ outcome: "none", latencyMs: 5 });
    expect(f.decide("Catalog_Контрагенты", "POST").outcome).toBe("error");
    expect(f.decide("Document_ЗаказКлиента", "GET").outcome).toBe("error");
  });

  test("commitThenFail applies to writes only", () => {
    const f = new FaultInjector(1);
    f.set(FaultsSchema.parse({ "*": { commitThenFailRate: 1, commitThenFailMode: "drop" } }));
    expect(f.decide("Document_ЗаказКлиента", "GET").commitThenFail).toBeNull();
    expect(f.decide("Document_ЗаказКлиента", "PATCH").commitThenFail).toBe("drop");
  });

  test("schema rejects unknown sets and bad rates", () => {
    expect(FaultsSchema.safeParse({ Catalog_Nope: { errorRate: 0.1 } }).success).toBe(false);
    expect(FaultsSchema.safeParse({ "*": { errorRate: 2 } }).success).toBe(false);
    expect(FaultsSchema.safeParse({ notifications: { dropRate: 0.5, reorder: true } }).success).toBe(true);
  });

  test("notification backoff: 200 ms doubling, capped at 10 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 19].map((n) => backoffDelay(n, 200, 10_000))).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
  });
});
