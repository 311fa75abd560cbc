import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testNatsUrl } from "@concord/testkit";

/** Starts the real resolver process with a policy file and returns how it ended. */
function startWith(policy: string) {
  const file = join(mkdtempSync(join(tmpdir(), "policy-")), "concord.policy.yaml");
  writeFileSync(file, policy);
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: join(__dirname, ".."),
    env: { ...process.env, NATS_URL: testNatsUrl(), POLICY_FILE: file, CONCORD_NAMESPACE: "startuptest", RESOLVER_HEALTH_PORT: "0" },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: run.status, stderr: run.stderr, file };
}

const minimal = (extra: string) => `version: 1
systems: { crm: bitrix24, erp: onec }
${extra}`;

it.each([
  ["a wrong field name", minimal("ownership:\n  order:\n    master: crm\n    fields:\n      colour: crm\n"), /:7:\d+ .*colour/],
  ["an unknown system", minimal("").replace("erp: onec", "erp: sap"), /:2:\d+ .*sap/],
  ["a status map with a duplicate key", minimal("statusMap:\n  crmToErp:\n    WON: Закрыт\n    WON: Закрыт\n"), /:6:\d+ .*WON/],
])("stops start-up on %s with a message naming the line", (_name, policy, expected) => {
  const { code, stderr } = startWith(policy);
  expect(code).toBe(2);
  expect(stderr).toMatch(expected);
});
