import { masker } from "@concord/telemetry";
import { parseRetryAfter } from "@concord/contracts";
import { classifyBitrix24Error } from "./classify";

describe("classifyBitrix24Error", () => {
  it.each([
    [503, { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" }, null, "retryable", "B24_QUERY_LIMIT_EXCEEDED", 1000],
    [429, { error: "OPERATION_TIME_LIMIT" }, "30", "retryable", "B24_OPERATION_TIME_LIMIT", 30000],
    [500, { error: "INTERNAL_SERVER_ERROR" }, null, "retryable", "B24_HTTP_500", undefined],
    [502, undefined, null, "retryable", "B24_HTTP_502", undefined],
    [401, { error: "NO_AUTH_FOUND", error_description: "Wrong authorization data" }, null, "permanent", "B24_UNAUTHORIZED", undefined],
    [403, { error: "insufficient_scope" }, null, "permanent", "B24_FORBIDDEN", undefined],
    [400, { error: "", error_description: "Not found" }, null, "permanent", "B24_NOT_FOUND", undefined],
    [400, { error: "", error_description: "Parameter 'fields' must be array." }, null, "permanent", "B24_REJECTED", undefined],
    [404, { error: "ERROR_METHOD_NOT_FOUND" }, null, "permanent", "B24_METHOD_NOT_FOUND", undefined],
  ])("HTTP %s %j → %s", (status, body, retryAfter, kind, code, retryAfterMs) => {
    const error = classifyBitrix24Error(status, body, retryAfter, "crm.deal.get");
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(code);
    expect(error.retryAfterMs).toBe(retryAfterMs);
  });

  it("masks secrets that appear in the vendor's message", () => {
    // The client registers its webhook token with the masker (a known value, not a path shape).
    masker.addSecrets(["tok3n-0123456789"]);
    const error = classifyBitrix24Error(400, { error: "X", error_description: "see /rest/1/tok3n-0123456789/crm.deal.get" }, null, "crm.deal.get");
    expect(error.message).not.toContain("tok3n");
  });

  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("5")).toBe(5000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
