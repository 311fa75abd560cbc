import { parseConfig, redactConfig } from "./config";

describe("parseConfig", () => {
  it("applies the documented defaults", () => {
    const r = parseConfig({});
    expect(r.ok && r.value).toEqual({
      port: 7401,
      host: "127.0.0.1",
      userId: 1,
      webhookToken: "sandbox-webhook-token",
      applicationToken: "sandbox-app-token",
      eventHandlerUrl: "http://127.0.0.1:7400/webhooks/bitrix24",
      rateCapacity: 50,
      rateDrainPerSec: 2,
      seed: undefined,
      portalDomain: "sandbox.bitrix24.local",
      eventTimeoutMs: 5000,
      log: false,
    });
  });

  it("an empty handler means no handler; numbers are coerced", () => {
    const r = parseConfig({ B24_SANDBOX_EVENT_HANDLER: "", B24_SANDBOX_PORT: "0", B24_SANDBOX_SEED: "42", SANDBOX_LOG: "1" });
    expect(r.ok && [r.value.eventHandlerUrl, r.value.port, r.value.seed, r.value.log]).toEqual([null, 0, 42, true]);
  });

  it("names the bad variable", () => {
    const r = parseConfig({ B24_SANDBOX_PORT: "seventy", B24_SANDBOX_EVENT_HANDLER: "ftp://x" });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain("B24_SANDBOX_PORT");
      expect(r.error).toContain("B24_SANDBOX_EVENT_HANDLER");
    }
  });

  it("redacts secrets", () => {
    const r = parseConfig({ B24_SANDBOX_WEBHOOK_TOKEN: "s3cret" });
    expect(r.ok && JSON.stringify(redactConfig(r.value))).not.toContain("s3cret");
  });
});
