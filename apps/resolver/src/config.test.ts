import { loadConfig, redactConfig } from "@concord/config";
import { resolverConfigSchema } from "./config";

it("runs no scheduled reconcile unless RECONCILE_INTERVAL_MS is set; report only unless RECONCILE_HEAL", () => {
  const config = loadConfig(resolverConfigSchema, {});
  expect(config).toMatchObject({ RECONCILE_INTERVAL_MS: 0, RECONCILE_HEAL: false, RECONCILE_ENTITIES: ["orders", "customers"], DATABASE_SCHEMA: "concord" });
  expect(config.DATABASE_URL).toBeUndefined();
});

it("a schedule needs the database its runs are kept in, and says so", () => {
  expect(() => loadConfig(resolverConfigSchema, { RECONCILE_INTERVAL_MS: "86400000" })).toThrow(/DATABASE_URL: required with RECONCILE_INTERVAL_MS > 0 .*or RECONCILE_INTERVAL_MS=0/);
  const config = loadConfig(resolverConfigSchema, { RECONCILE_INTERVAL_MS: "86400000", RECONCILE_HEAL: "true", RECONCILE_ENTITIES: "customers", DATABASE_URL: "postgres://concord:pw@db/concord" });
  expect(config).toMatchObject({ RECONCILE_INTERVAL_MS: 86_400_000, RECONCILE_HEAL: true, RECONCILE_ENTITIES: ["customers"] });
  expect(redactConfig(resolverConfigSchema, config).DATABASE_URL).toBe("***");
});

it.each([
  ["RECONCILE_INTERVAL_MS", "500", /RECONCILE_INTERVAL_MS: 0 \(off\) or at least 1000/],
  ["RECONCILE_INTERVAL_MS", "999999999", /RECONCILE_INTERVAL_MS: at most 7 days/],
  ["RECONCILE_ENTITIES", "orders,products", /RECONCILE_ENTITIES\.1: orders or customers/],
])("refuses %s=%s", (name, value, message) => {
  expect(() => loadConfig(resolverConfigSchema, { [name]: value, DATABASE_URL: "postgres://db/concord" })).toThrow(message);
});
