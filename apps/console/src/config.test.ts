import { ConfigError, loadConfig, redactConfig } from "@concord/config";
import { consoleConfigSchema } from "./config";

it("requires a long enough API token and redacts it", () => {
  expect(() => loadConfig(consoleConfigSchema, {})).toThrow(/CONSOLE_API_TOKEN: required/);
  expect(() => loadConfig(consoleConfigSchema, { CONSOLE_API_TOKEN: "short" })).toThrow(ConfigError);
  const config = loadConfig(consoleConfigSchema, { CONSOLE_API_TOKEN: "demo-console-token" });
  expect(config).toMatchObject({ CONSOLE_HOST: "127.0.0.1", CONSOLE_PORT: 7420 });
  expect(redactConfig(consoleConfigSchema, config).CONSOLE_API_TOKEN).toBe("***");
});
