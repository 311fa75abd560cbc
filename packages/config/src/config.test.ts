import { z } from "zod";
import { ConfigError, loadConfig, port, redactConfig, secret, secretValues } from "./index";

const schema = z.object({
  PORT: port(7400),
  TOKEN: secret(z.string().min(8, "set a token of at least 8 characters")),
  NAME: z.string().default("x"),
});

describe("loadConfig", () => {
  it("applies defaults and coerces numbers", () => {
    expect(loadConfig(schema, { TOKEN: "abcdefgh" })).toEqual({ PORT: 7400, TOKEN: "abcdefgh", NAME: "x" });
    expect(loadConfig(schema, { TOKEN: "abcdefgh", PORT: "9000" }).PORT).toBe(9000);
  });

  it("names every bad variable and never echoes a secret value", () => {
    let error: unknown;
    try {
      loadConfig(schema, { TOKEN: "short-1", PORT: "99999" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("PORT:");
    expect(message).toContain("TOKEN: set a token of at least 8 characters");
    expect(message).not.toContain("short-1");
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig(schema, { TOKEN: "abcdefgh", NAME: "" }).NAME).toBe("x");
  });

  it("redacts secrets for logging and lists them for masking", () => {
    const config = loadConfig(schema, { TOKEN: "abcdefgh" });
    expect(redactConfig(schema, config)).toEqual({ PORT: 7400, TOKEN: "***", NAME: "x" });
    expect(secretValues(schema, config)).toEqual(["abcdefgh"]);
  });
});
