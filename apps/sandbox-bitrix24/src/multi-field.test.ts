import { mergeMultiField, multiFieldToRest, type MultiFieldItem } from "./multi-field";

const counter = (start: number) => {
  let n = start;
  return () => n++;
};

const existing: MultiFieldItem[] = [
  { ID: 1, VALUE_TYPE: "WORK", VALUE: "+7111", TYPE_ID: "PHONE" },
  { ID: 2, VALUE_TYPE: "MOBILE", VALUE: "+7222", TYPE_ID: "PHONE" },
];

describe("mergeMultiField", () => {
  it("on add, every item is new and gets an id and TYPE_ID; VALUE_TYPE defaults to WORK", () => {
    const out = mergeMultiField([], [{ VALUE: "a@b.c" }, { VALUE: "x@y.z", VALUE_TYPE: "HOME" }], "EMAIL", counter(10), "add");
    expect(out).toEqual([
      { ID: 10, VALUE_TYPE: "WORK", VALUE: "a@b.c", TYPE_ID: "EMAIL" },
      { ID: 11, VALUE_TYPE: "HOME", VALUE: "x@y.z", TYPE_ID: "EMAIL" },
    ]);
  });

  it("on update, an item without ID is APPENDED (not a replacement)", () => {
    const out = mergeMultiField(existing, [{ VALUE: "+7333", VALUE_TYPE: "WORK" }], "PHONE", counter(3), "update");
    expect(out.map((i) => i.VALUE)).toEqual(["+7111", "+7222", "+7333"]);
  });

  it("{ID, VALUE} changes that item", () => {
    const out = mergeMultiField(existing, [{ ID: "2", VALUE: "+7999" }], "PHONE", counter(3), "update");
    expect(out).toEqual([existing[0], { ID: 2, VALUE_TYPE: "MOBILE", VALUE: "+7999", TYPE_ID: "PHONE" }]);
  });

  it("{ID, DELETE:Y} and an empty VALUE delete the item", () => {
    expect(mergeMultiField(existing, [{ ID: 1, DELETE: "Y" }], "PHONE", counter(3), "update").map((i) => i.ID)).toEqual([2]);
    expect(mergeMultiField(existing, [{ ID: "2", VALUE: "" }], "PHONE", counter(3), "update").map((i) => i.ID)).toEqual([1]);
  });

  it("ignores foreign ids and empty new items, and does not mutate its input", () => {
    const before = structuredClone(existing);
    const out = mergeMultiField(existing, [{ ID: 99, VALUE: "x" }, { VALUE: "" }], "PHONE", counter(3), "update");
    expect(out).toEqual(existing);
    expect(existing).toEqual(before);
  });

  it("renders ids as strings", () => {
    expect(multiFieldToRest(existing)[0]).toEqual({ ID: "1", VALUE_TYPE: "WORK", VALUE: "+7111", TYPE_ID: "PHONE" });
  });
});
