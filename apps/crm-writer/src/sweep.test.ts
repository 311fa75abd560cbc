import { advanceCursor, createCrmSweep, pageQuery, rowsToPublish } from "./sweep";

const t = (s: number) => Date.UTC(2026, 0, 1, 12, 0, s);

describe("the Bitrix24 sweep's paging", () => {
  it("reads after a position by DATE_MODIFY then ID, and drains a partly read second by ID", () => {
    expect(pageQuery({ at: t(5), id: 9 }, false)).toEqual({
      filter: { ">DATE_MODIFY": "2026-01-01T12:00:05+00:00" },
      order: { DATE_MODIFY: "ASC", ID: "ASC" },
      select: ["ID", "DATE_MODIFY"],
      start: -1,
    });
    expect(pageQuery({ at: t(5), id: 9 }, true).filter).toEqual({ "=DATE_MODIFY": "2026-01-01T12:00:05+00:00", ">ID": 9 });
  });
});

describe("nothing at rest", () => {
  it("publishes only versions not recorded, and keeps the overlap's versions in the cursor", () => {
    const cursor = { at: t(0), seen: { "1": t(0) } };
    const read = [
      { id: "1", modifiedMs: t(0) }, // already published: the overlap re-read it
      { id: "2", modifiedMs: t(3) },
    ];
    expect(rowsToPublish(read, cursor.seen)).toEqual([{ id: "2", modifiedMs: t(3) }]);
    const next = advanceCursor(cursor, read, 120_000);
    expect(next).toEqual({ at: t(3), seen: { "1": t(0), "2": t(3) } });
    // The next idle sweep re-reads both and publishes nothing.
    expect(rowsToPublish(read, next.seen)).toEqual([]);
    // An edit of record 1 is a new version.
    expect(rowsToPublish([{ id: "1", modifiedMs: t(7) }], next.seen)).toHaveLength(1);
  });

  it("forgets versions older than the overlap and never moves the cursor back", () => {
    const next = advanceCursor({ at: t(59), seen: { "1": t(0) } }, [{ id: "2", modifiedMs: t(58) }], 30_000);
    expect(next).toEqual({ at: t(59), seen: { "2": t(58) } });
  });
});

describe("a sweep against a portal", () => {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");

  /** A portal's crm.deal.list over in-memory rows, with the filters and orders the sweep uses. */
  function fakePortal(rows: Array<{ ID: number; at: number }>, afterCall?: (n: number) => void) {
    const calls: unknown[] = [];
    const client = {
      call: async (_method: string, params: { filter: Record<string, unknown>; order: Record<string, string> }) => {
        calls.push(params.filter);
        afterCall?.(calls.length);
        const f = params.filter;
        const at = (key: string) => Date.parse(String(f[key]));
        let result = rows.filter((r) =>
          f["=DATE_MODIFY"] !== undefined ? r.at === at("=DATE_MODIFY") && r.ID > Number(f[">ID"]) : r.at > at(">DATE_MODIFY"),
        );
        result = result.sort((a, b) => (params.order.DATE_MODIFY ? a.at - b.at || a.ID - b.ID : a.ID - b.ID)).slice(0, 50);
        return { result: result.map((r) => ({ ID: String(r.ID), DATE_MODIFY: iso(r.at) })) };
      },
    };
    return { client, calls };
  }

  function deps(client: unknown) {
    const kv = new Map<string, unknown>();
    const published: string[] = [];
    const state = {
      tryLease: async () => true,
      getJson: async (key: string) => (kv.has(key) ? { value: kv.get(key), revision: 1 } : null),
      putJson: async (key: string, value: unknown) => void kv.set(key, value),
      compareAndSet: async () => true,
      remove: async () => undefined,
    };
    const bus = { js: { publish: async (_subject: string, data: Uint8Array) => {
      published.push(JSON.parse(new TextDecoder().decode(data)).sourceId as string);
      return { duplicate: false, seq: published.length };
    } } };
    const subjects = { event: () => "ns.events.bitrix24.deal" };
    const logger = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined };
    return { kv, published, sweepDeps: { bus, subjects, client, state, logger, owner: "test", intervalMs: 1_000, overlapMs: 0 } as never };
  }

  it("reads every record of a second holding more than a page, once each, and nothing at rest", async () => {
    const base = Date.UTC(2026, 0, 1, 12, 0, 0);
    // 120 deals modified within one second, then 30 in the next: pages of 50 cut through the second.
    const rows = [...Array.from({ length: 120 }, (_, i) => ({ ID: i + 1, at: base })), ...Array.from({ length: 30 }, (_, i) => ({ ID: 200 + i, at: base + 1_000 }))];
    const portal = fakePortal(rows);
    const d = deps(portal.client);
    d.kv.set("sweep.bitrix24.deal.cursor", { at: base - 5_000, seen: {} });
    const sweep = createCrmSweep("deal", d.sweepDeps);
    const first = await sweep();
    expect(first?.published).toBe(150);
    expect(new Set(d.published).size).toBe(150);
    const again = await sweep();
    expect(again?.published).toBe(0);
    expect(again?.requests).toBe(1);
  });

  it("never skips a record changed while the sweep runs: it moves behind the position and is read later", async () => {
    const base = Date.UTC(2026, 0, 1, 12, 0, 0);
    const rows = Array.from({ length: 120 }, (_, i) => ({ ID: i + 1, at: base + Math.floor(i / 10) * 1_000 }));
    // After the first page, deal 5 (already read) and deal 110 (not yet read) are edited.
    const portal = fakePortal(rows, (n) => {
      if (n !== 2) return;
      rows[4]!.at = base + 200_000;
      rows[109]!.at = base + 200_000;
    });
    const d = deps(portal.client);
    d.kv.set("sweep.bitrix24.deal.cursor", { at: base - 5_000, seen: {} });
    await createCrmSweep("deal", d.sweepDeps)();
    expect(d.published.filter((id) => id === "5")).toHaveLength(2); // its old version, then its new one
    expect(d.published.filter((id) => id === "110")).toHaveLength(1);
    expect(new Set(d.published).size).toBe(120);
  });
});
