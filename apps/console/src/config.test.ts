import { ConfigError, loadConfig, redactConfig } from "@concord/config";
import { apiTokensOf, consoleConfigSchema } from "./config";

it("requires a long enough API token and redacts it", () => {
  expect(() => loadConfig(consoleConfigSchema, {})).toThrow(/CONSOLE_API_TOKEN: required/);
  expect(() => loadConfig(consoleConfigSchema, { CONSOLE_API_TOKEN: "short" })).toThrow(ConfigError);
  const config = loadConfig(consoleConfigSchema, { CONSOLE_API_TOKEN: "demo-console-token" });
  expect(config).toMatchObject({ CONSOLE_HOST: "127.0.0.1", CONSOLE_PORT: 7420 });
  expect(redactConfig(consoleConfigSchema, config).CONSOLE_API_TOKEN).toBe("***");
});

it("takes named tokens with roles, naming a bad entry without its token", () => {
  const config = loadConfig(consoleConfigSchema, {
    CONSOLE_API_TOKEN: "demo-console-token",
    CONSOLE_API_TOKEN_ROLE: "viewer",
    CONSOLE_API_TOKENS: "alice:operator:alice-token-0123456789, ops:admin:ops-token-0123456789",
  });
  expect(apiTokensOf(config).map((t) => [t.name, t.role])).toEqual([
    ["default", "viewer"],
    ["alice", "operator"],
    ["ops", "admin"],
  ]);
  expect(redactConfig(consoleConfigSchema, config).CONSOLE_API_TOKENS).toBe("***");
  let message = "";
  try {
    loadConfig(consoleConfigSchema, { CONSOLE_API_TOKEN: "demo-console-token", CONSOLE_API_TOKENS: "bob:root:secret-value-xyz-123456,carol:viewer:short" });
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(/entry 1 \(bob\): the role must be viewer, operator or admin/);
  expect(message).toMatch(/entry 2 \(carol\): the token must be at least 16 characters/);
  expect(message).not.toContain("secret-value-xyz");
});

it("alerts need the database", () => {
  expect(() => loadConfig(consoleConfigSchema, { CONSOLE_API_TOKEN: "demo-console-token", CONSOLE_ALERTS_FILE: "config/concord.alerts.yaml" })).toThrow(/DATABASE_URL: CONSOLE_ALERTS_FILE needs DATABASE_URL/);
  const config = loadConfig(consoleConfigSchema, { CONSOLE_API_TOKEN: "demo-console-token", CONSOLE_ALERTS_FILE: "a.yaml", DATABASE_URL: "postgres://u:pw-secret@127.0.0.1/db" });
  expect(redactConfig(consoleConfigSchema, config).DATABASE_URL).toBe("***");
});
