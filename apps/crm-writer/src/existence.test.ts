import { vanished } from "./existence";

it("reports the ids kept before and missing from the listing now, and only those", () => {
  expect(vanished([1, 2, 3, 50], new Set([1, 3, 50, 77]))).toEqual([2]);
  expect(vanished([], new Set([1]))).toEqual([]);
});
