import { bucketOf, changedRecords } from "./sweep";

it("publishes only records whose DataVersion differs from the one seen", () => {
  const seen = new Map([
    ["a", "v1"],
    ["b", "v2"],
  ]);
  const page = [
    { ref: "a", version: "v1" },
    { ref: "b", version: "v3" },
    { ref: "c", version: "v1" },
  ];
  expect(changedRecords(page, (ref) => seen.get(ref)).map((r) => r.ref)).toEqual(["b", "c"]);
});

it("spreads Ref_Keys over 256 buckets named 00..ff", () => {
  const names = new Set(Array.from({ length: 5000 }, (_, i) => bucketOf(`00000000-0000-0000-0000-${String(i).padStart(12, "0")}`)));
  expect(names.size).toBe(256);
  for (const name of names) expect(name).toMatch(/^[0-9a-f]{2}$/);
});
