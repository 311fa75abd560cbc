import { z } from "zod";
import { ConfigError, commonConfig, insecureSettings, loadConfig, redactConfig, secret } from "./index";

const schema = z.object({
  ...commonConfig,
  ONEC_ODATA_URL: z.string().default("http://127.0.0.1:7402/trade/odata/standard.odata/"),
  B24_WEBHOOK_URL: secret(z.string()),
  ONEC_PASSWORD: secret(z.string().min(1)),
});
const strong = {
  CONCORD_DLQ_KEY: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
  ONEC_ODATA_URL: "https://1c.example.ru/trade/odata/standard.odata/",
  B24_WEBHOOK_URL: "https://p.bitrix24.ru/rest/1/k3l9x0qz7w2m5n8b/",
  ONEC_PASSWORD: "a-long-1c-password-x",
};
const problems = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig(schema, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe("production mode refuses demo and weak secrets and plain http", () => {
  it("accepts the demo values outside production", () => {
    expect(problems({ ...strong, CONCORD_DLQ_KEY: undefined, B24_WEBHOOK_URL: "http://127.0.0.1:7401/rest/1/demo-webhook-token/", ONEC_PASSWORD: "1234", ONEC_ODATA_URL: "http://x/" })).toEqual([]);
  });

  it.each(["NODE_ENV", "CONCORD_ENV"])("with %s=production refuses each, naming the variable", (flag) => {
    const found = problems({ [flag]: "production", B24_WEBHOOK_URL: "http://127.0.0.1:7401/rest/1/demo-webhook-token/", ONEC_PASSWORD: "1234", ONEC_ODATA_URL: "http://1c.lan/odata/" });
    expect(found.join("\n")).toMatch(/CONCORD_DLQ_KEY: is \(or contains\) a demo value/);
    expect(found.join("\n")).toMatch(/B24_WEBHOOK_URL: is \(or contains\) a demo value/);
    expect(found.join("\n")).toMatch(/B24_WEBHOOK_URL: plain http:\/\/ is refused/);
    expect(found.join("\n")).toMatch(/ONEC_PASSWORD: shorter than 16 bytes/);
    expect(found.join("\n")).toMatch(/ONEC_ODATA_URL: plain http:\/\/ is refused/);
    expect(found.join("\n")).not.toContain("1234");
    expect(problems({ [flag]: "production", ...strong, ONEC_PASSWORD: "demo-1c-password" })).toEqual([expect.stringMatching(/^ONEC_PASSWORD: is \(or contains\) a demo value/)]);
    expect(problems({ [flag]: "production", ...strong })).toEqual([]);
  });

  it("allows plain http only by the explicit opt-out, reported for the log", () => {
    const env = { NODE_ENV: "production", ...strong, ONEC_ODATA_URL: "http://1c.lan/odata/", CONCORD_ALLOW_PLAIN_HTTP: "true" };
    const config = loadConfig(schema, env);
    expect(insecureSettings(schema, config, env)).toEqual([expect.stringMatching(/^ONEC_ODATA_URL uses plain http:\/\//)]);
  });
});

describe("NATS credentials in configuration", () => {
  it("never shows NATS_URL's password or the NATS secrets in the start-up config", () => {
    const config = loadConfig(schema, { ...strong, NATS_URL: "nats://svc:n4ts-pass@10.0.0.1:4222,nats://svc:n4ts-pass@10.0.0.2:4222", NATS_TOKEN: "a-nats-token-0123456789" });
    const shown = JSON.stringify(redactConfig(schema, config));
    expect(shown).not.toContain("n4ts-pass");
    expect(shown).not.toContain("a-nats-token");
    expect(shown).toContain("nats://svc:***@10.0.0.1:4222,nats://svc:***@10.0.0.2:4222");
  });
});
