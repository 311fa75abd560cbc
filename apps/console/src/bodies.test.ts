import { BulkRetryBodySchema, DiscardBodySchema, IdParamSchema, ListQuerySchema, ResyncBodySchema, RetryBodySchema, describeIssues } from "./bodies";

it("parses list queries from text, with a default limit", () => {
  expect(ListQuerySchema.parse({ system: "onec", code: "ONEC_REJECTED", limit: "20" })).toEqual({ system: "onec", code: "ONEC_REJECTED", limit: 20 });
  expect(ListQuerySchema.parse({})).toEqual({ limit: 100 });
  expect(ListQuerySchema.safeParse({ limit: "5000" }).success).toBe(false);
  expect(ListQuerySchema.safeParse({ from: "yesterday" }).success).toBe(false);
  expect(ListQuerySchema.safeParse({ colour: "red" }).success).toBe(false);
  expect(ListQuerySchema.safeParse({ code: ["a", "b"] }).success).toBe(false);
});

it("parses retry, bulk retry, discard and resync bodies", () => {
  expect(RetryBodySchema.parse({})).toEqual({ refresh: false });
  expect(RetryBodySchema.parse({ refresh: true })).toEqual({ refresh: true });
  expect(RetryBodySchema.safeParse({ refresh: "yes" }).success).toBe(false);
  expect(BulkRetryBodySchema.parse({ filter: { code: "X", system: "onec" }, confirm: true })).toEqual({ filter: { code: "X", system: "onec" }, refresh: false, confirm: true });
  expect(BulkRetryBodySchema.safeParse({ filter: { status: "retried" } }).success).toBe(false);
  expect(BulkRetryBodySchema.safeParse({ confirm: true }).success).toBe(false);
  expect(DiscardBodySchema.parse({ reason: " duplicate order " })).toEqual({ reason: "duplicate order" });
  const missing = DiscardBodySchema.safeParse({});
  expect(missing.success).toBe(false);
  if (!missing.success) expect(describeIssues(missing.error)).toBe("reason: required: why it is discarded");
  expect(DiscardBodySchema.safeParse({ reason: "" }).success).toBe(false);
  expect(ResyncBodySchema.safeParse({ system: "bitrix24", entity: "deal", id: "7" }).success).toBe(true);
  expect(ResyncBodySchema.safeParse({ system: "onec", entity: "deal", id: "7" }).success).toBe(false);
  expect(IdParamSchema.safeParse("12").success).toBe(true);
  expect(IdParamSchema.safeParse("abc").success).toBe(false);
  expect(IdParamSchema.safeParse("0").success).toBe(false);
});
