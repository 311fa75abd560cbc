import { advanceCursor, pageQuery, rowsToPublish } from "./sweep";

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
