import { normalizeArrayLike, normalizeParams, parseBracketQuery } from "./params";

describe("parseBracketQuery", () => {
  it("parses PHP-style nesting, [] appends and explicit indexes", () => {
    expect(parseBracketQuery("fields[TITLE]=x&filter[>DATE_MODIFY]=2024-01-01T00:00:00%2B03:00&select[]=ID&select[]=TITLE&rows[0][PRODUCT_ID]=1&rows[1][PRICE]=2.5")).toEqual({
      fields: { TITLE: "x" },
      filter: { ">DATE_MODIFY": "2024-01-01T00:00:00+03:00" },
      select: { "0": "ID", "1": "TITLE" },
      rows: { "0": { PRODUCT_ID: "1" }, "1": { PRICE: "2.5" } },
    });
  });

  it("keeps plain keys and decodes + as space", () => {
    expect(parseBracketQuery("?id=5&fields[TITLE]=a+b")).toEqual({ id: "5", fields: { TITLE: "a b" } });
  });
});

describe("normalizeArrayLike", () => {
  it("turns integer-keyed objects into arrays ordered by key, recursively", () => {
    expect(normalizeArrayLike({ rows: { "1": { A: 1 }, "0": { A: 0 }, "25": { A: 25 } }, f: { X: { "0": "a" } } })).toEqual({
      rows: [{ A: 0 }, { A: 1 }, { A: 25 }],
      f: { X: ["a"] },
    });
  });

  it("leaves ordinary objects alone", () => {
    expect(normalizeArrayLike({ a: { "0": 1, b: 2 } })).toEqual({ a: { "0": 1, b: 2 } });
  });
});

describe("normalizeParams", () => {
  it("matches top-level names case-insensitively, first spelling wins", () => {
    expect(normalizeParams({ FIELDS: { TITLE: "x" }, ID: "5", Select: ["ID"] })).toEqual({
      fields: { TITLE: "x" },
      id: "5",
      select: ["ID"],
    });
    expect(normalizeParams({ arFields: { A: 1 } })).toEqual({ fields: { A: 1 } });
  });

  it("does not change the case of nested names", () => {
    expect(normalizeParams({ filter: { ORIGIN_ID: "x" } })).toEqual({ filter: { ORIGIN_ID: "x" } });
  });
});
