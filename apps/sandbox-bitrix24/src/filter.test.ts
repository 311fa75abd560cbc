import { matchesFilter, parseFilter, parseFilterKey, parseOrder, sortRecords, type FieldKind, type KindOf } from "./filter";
import { parseDateTime } from "./time";

const kinds: Record<string, FieldKind> = {
  ID: "number",
  OPPORTUNITY: "number",
  TITLE: "string",
  ORIGIN_ID: "string",
  DATE_MODIFY: "date",
  PHONE: "multi",
};
const kindOf: KindOf = (field) => kinds[field];

const at = (iso: string): number => parseDateTime(iso) as number;

const records = [
  { ID: 2, TITLE: "Alpha deal", ORIGIN_ID: "ref-2", OPPORTUNITY: 100, DATE_MODIFY: at("2024-01-01T10:00:00+03:00"), PHONE: [{ VALUE: "+7999" }] },
  { ID: 10, TITLE: "beta", ORIGIN_ID: null, OPPORTUNITY: 20, DATE_MODIFY: at("2024-01-02T10:00:00+03:00"), PHONE: [] },
  { ID: 9, TITLE: "Gamma", ORIGIN_ID: "ref-9", OPPORTUNITY: null, DATE_MODIFY: at("2024-01-03T10:00:00+03:00"), PHONE: [] },
];

const ids = (filter: Record<string, unknown>): number[] =>
  records.filter((r) => matchesFilter(r, parseFilter(filter), kindOf)).map((r) => r.ID);

describe("parseFilterKey", () => {
  it.each([
    [">=ID", ">=", "ID"],
    [">ID", ">", "ID"],
    ["<=ID", "<=", "ID"],
    ["<ID", "<", "ID"],
    ["=ID", "=", "ID"],
    ["!=ID", "!=", "ID"],
    ["!ID", "!=", "ID"],
    ["@ID", "in", "ID"],
    ["!@ID", "notIn", "ID"],
    ["%TITLE", "like", "TITLE"],
    ["=%TITLE", "pattern", "TITLE"],
    ["ID", "=", "ID"],
  ])("%s → %s %s", (key, op, field) => {
    expect(parseFilterKey(key)).toEqual({ op, field });
  });
});

describe("matchesFilter", () => {
  it("compares ids numerically, not as text", () => {
    expect(ids({ ">ID": "9" })).toEqual([10]);
    expect(ids({ "<ID": 10 })).toEqual([2, 9]);
    expect(ids({ ">=ID": "9" })).toEqual([10, 9]);
  });

  it("IN and NOT IN with arrays (and a bare array as IN)", () => {
    expect(ids({ "@ID": ["2", "9"] })).toEqual([2, 9]);
    expect(ids({ "!@ID": [2, 9] })).toEqual([10]);
    expect(ids({ ID: [10] })).toEqual([10]);
  });

  it("equality, inequality and empty values", () => {
    expect(ids({ ORIGIN_ID: "ref-9" })).toEqual([9]);
    expect(ids({ "=ORIGIN_ID": "ref-2" })).toEqual([2]);
    expect(ids({ "!ORIGIN_ID": "ref-2" })).toEqual([10, 9]);
    expect(ids({ ORIGIN_ID: "" })).toEqual([10]);
    expect(ids({ "!ORIGIN_ID": "" })).toEqual([2, 9]);
  });

  it("LIKE is a case-insensitive substring; =% takes wildcards", () => {
    expect(ids({ "%TITLE": "ALPH" })).toEqual([2]);
    expect(ids({ "%TITLE": "a" })).toEqual([2, 10, 9]);
    expect(ids({ "=%TITLE": "gam%" })).toEqual([9]);
  });

  it("compares datetimes chronologically, with or without an offset", () => {
    expect(ids({ ">DATE_MODIFY": "2024-01-02T10:00:00+03:00" })).toEqual([9]);
    expect(ids({ ">=DATE_MODIFY": "2024-01-02T10:00:00+03:00" })).toEqual([10, 9]);
    // 07:00Z is 10:00 Moscow time.
    expect(ids({ ">DATE_MODIFY": "2024-01-02T07:00:00Z" })).toEqual([9]);
    // No offset = portal time.
    expect(ids({ "<DATE_MODIFY": "2024-01-02T09:59:59" })).toEqual([2]);
    expect(ids({ "<DATE_MODIFY": "02.01.2024" })).toEqual([2]);
  });

  it("NULL never satisfies a comparison", () => {
    expect(ids({ ">OPPORTUNITY": 0 })).toEqual([2, 10]);
    expect(ids({ "<OPPORTUNITY": 1000 })).toEqual([2, 10]);
  });

  it("matches multi-fields by exact item value", () => {
    expect(ids({ PHONE: "+7999" })).toEqual([2]);
    expect(ids({ PHONE: "+799" })).toEqual([]);
  });

  it("ignores unknown fields, like the portal", () => {
    expect(ids({ NO_SUCH_FIELD: "x" })).toEqual([2, 10, 9]);
  });

  it("combines conditions with AND", () => {
    expect(ids({ ">ID": 1, "%TITLE": "a", "!ORIGIN_ID": "" })).toEqual([2, 9]);
  });
});

describe("sortRecords", () => {
  it("orders numerically by ID by default", () => {
    expect(sortRecords(records, [], kindOf).map((r) => r.ID)).toEqual([2, 9, 10]);
  });

  it("orders by any field ASC/DESC, nulls first ascending, then by ID", () => {
    const byOpp = sortRecords(records, parseOrder({ OPPORTUNITY: "asc" }, kindOf), kindOf).map((r) => r.ID);
    expect(byOpp).toEqual([9, 10, 2]);
    const byDate = sortRecords(records, parseOrder({ DATE_MODIFY: "DESC" }, kindOf), kindOf).map((r) => r.ID);
    expect(byDate).toEqual([9, 10, 2]);
    const byTitle = sortRecords(records, parseOrder({ TITLE: "ASC" }, kindOf), kindOf).map((r) => r.ID);
    expect(byTitle).toEqual([2, 10, 9]);
  });

  it("ignores unknown order fields", () => {
    expect(parseOrder({ NOPE: "DESC", ID: "DESC" }, kindOf)).toEqual([{ field: "ID", desc: true }]);
  });
});
