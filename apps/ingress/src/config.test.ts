import { ConfigError, DEMO_DLQ_KEY, loadConfig, redactConfig, secretValues } from "@concord/config";
import { ingressConfigSchema } from "./config";

const SECRET = `whsec_${Buffer.from("ingress-config-test-key-32-bytes").toString("base64")}`;
const env = { B24_APPLICATION_TOKEN: "b24-app-token", ONEC_WEBHOOK_SECRET: SECRET };

describe("ingress config", () => {
  it("fills the defaults", () => {
    expect(loadConfig(ingressConfigSchema, env)).toMatchObject({
      INGRESS_HOST: "127.0.0.1",
      INGRESS_PORT: 7400,
      ONEC_WEBHOOK_TOLERANCE_S: 300,
      INGRESS_BODY_LIMIT: "64kb",
      NATS_URL: "nats://127.0.0.1:4222",
      CONCORD_NAMESPACE: "concord",
    });
  });

  it.each([
    [{ B24_APPLICATION_TOKEN: undefined }, "B24_APPLICATION_TOKEN: required"],
    [{ B24_APPLICATION_TOKEN: "short" }, "B24_APPLICATION_TOKEN: too short"],
    [{ ONEC_WEBHOOK_SECRET: "" }, "ONEC_WEBHOOK_SECRET: required"],
    [{ ONEC_WEBHOOK_SECRET: "whsec_c2hvcnQ=" }, "ONEC_WEBHOOK_SECRET: after the whsec_ prefix"],
    [{ ONEC_WEBHOOK_TOLERANCE_S: "0" }, "ONEC_WEBHOOK_TOLERANCE_S"],
    [{ INGRESS_BODY_LIMIT: "a lot" }, "INGRESS_BODY_LIMIT: use a size"],
    [{ INGRESS_PORT: "70000" }, "INGRESS_PORT"],
  ])("names the variable to fix: %j", (overrides, message) => {
    let caught: unknown;
    try {
      loadConfig(ingressConfigSchema, { ...env, ...overrides });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(message);
    expect((caught as Error).message).not.toContain(SECRET);
  });

  it("redacts both secrets and hands them to the masker", () => {
    const config = loadConfig(ingressConfigSchema, env);
    const redacted = redactConfig(ingressConfigSchema, config);
    expect(redacted.B24_APPLICATION_TOKEN).toBe("***");
    expect(redacted.ONEC_WEBHOOK_SECRET).toBe("***");
    expect(secretValues(ingressConfigSchema, config).sort()).toEqual([env.B24_APPLICATION_TOKEN, SECRET, DEMO_DLQ_KEY].sort());
  });
});
