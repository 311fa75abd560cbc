import { phpArray, substituteResults } from "./batch";

describe("substituteResults", () => {
  const results = { a: 42, b: { ID: "7", TITLE: "x", ROWS: [{ ID: "1" }] }, list: [{ ID: "3" }] };

  it("replaces $result[key] and $result[key][FIELD] inside values", () => {
    expect(substituteResults({ id: "$result[a]", fields: { TITLE: "deal $result[b][TITLE]-$result[b][ID]" } }, results)).toEqual({
      id: 42,
      fields: { TITLE: "deal x-7" },
    });
  });

  it("follows nested paths and array indexes", () => {
    expect(substituteResults("$result[list][0][ID]", results)).toBe("3");
    expect(substituteResults("$result[b][ROWS][0][ID]", results)).toBe("1");
  });

  it("passes whole structures when the value is exactly one reference", () => {
    expect(substituteResults("$result[b][ROWS]", results)).toEqual([{ ID: "1" }]);
  });

  it("leaves unknown references untouched", () => {
    expect(substituteResults("$result[nope][ID]", results)).toBe("$result[nope][ID]");
  });
});

describe("phpArray", () => {
  it("encodes like PHP json_encode: empty and list-keyed maps become arrays", () => {
    expect(phpArray({})).toEqual([]);
    expect(phpArray({ "0": "a", "1": "b" })).toEqual(["a", "b"]);
    expect(phpArray({ "1": "b" })).toEqual({ "1": "b" });
    expect(phpArray({ a: 1 })).toEqual({ a: 1 });
  });
});
