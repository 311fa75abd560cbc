import { parseConfig } from "./config";

describe("config", () => {
  test("defaults", () => {
    const r = parseConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      port: 7402,
      host: "127.0.0.1",
      base: "trade",
      user: "concord",
      password: "sandbox-1c-password",
      notifyUrl: "http://127.0.0.1:7400/webhooks/1c",
      notifySecret: "whsec_c2FuZGJveC0xYy1ub3RpZnktc2VjcmV0LTMyYnl0ZXMhIQ==",
      seed: undefined,
      timeZone: "Europe/Moscow",
      versionCheck: false,
      log: false,
    });
  });

  test("empty notify URL turns notifications off; seed and log parse", () => {
    const r = parseConfig({ ONEC_SANDBOX_NOTIFY_URL: "", ONEC_SANDBOX_SEED: "42", SANDBOX_LOG: "1", ONEC_SANDBOX_PORT: "0" });
    expect(r.ok && r.value).toMatchObject({ notifyUrl: null, seed: 42, log: true, port: 0 });
  });

  test("time zone and version check parse", () => {
    const r = parseConfig({ ONEC_SANDBOX_TIME_ZONE: "Asia/Yekaterinburg", ONEC_SANDBOX_VERSION_CHECK: "1" });
    expect(r.ok && r.value).toMatchObject({ timeZone: "Asia/Yekaterinburg", versionCheck: true });
  });

  test.each([
    [{ ONEC_SANDBOX_TIME_ZONE: "Moscow" }, "ONEC_SANDBOX_TIME_ZONE"],
    [{ ONEC_SANDBOX_TIME_ZONE: "" }, "ONEC_SANDBOX_TIME_ZONE"],
    [{ ONEC_SANDBOX_VERSION_CHECK: "yes" }, "ONEC_SANDBOX_VERSION_CHECK"],
    [{ ONEC_SANDBOX_PORT: "70000" }, "ONEC_SANDBOX_PORT"],
    [{ ONEC_SANDBOX_NOTIFY_SECRET: "plain-secret" }, "ONEC_SANDBOX_NOTIFY_SECRET"],
    [{ ONEC_SANDBOX_NOTIFY_SECRET: "whsec_c2hvcnQ=" }, "ONEC_SANDBOX_NOTIFY_SECRET"],
    [{ ONEC_SANDBOX_NOTIFY_URL: "ftp://x" }, "ONEC_SANDBOX_NOTIFY_URL"],
    [{ ONEC_SANDBOX_BASE: "a/b" }, "ONEC_SANDBOX_BASE"],
    [{ ONEC_SANDBOX_SEED: "abc" }, "ONEC_SANDBOX_SEED"],
  ])("%j is rejected naming the variable", (env, name) => {
    const r = parseConfig(env);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(name);
  });
});
