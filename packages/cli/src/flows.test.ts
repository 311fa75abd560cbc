import type { Command } from "commander";
import { buildProgram } from "./program";

/** Usage errors throw instead of exiting the test process (subcommands included). */
function throwOnExit(command: Command): void {
  command.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  for (const sub of command.commands) throwOnExit(sub);
}

/** Runs `concord …` against a fake console; returns what it printed and the requests it made. */
async function run(args: string[], replies: Record<string, unknown>) {
  const printed: string[] = [];
  const requests: Array<{ method: string; url: string; body: unknown }> = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    requests.push({ method: String(init.method), url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const key = `${String(init.method)} ${new URL(url).pathname}`;
    return new Response(JSON.stringify(replies[key] ?? { error: "not found" }), { status: key in replies ? 200 : 404 });
  }) as unknown as typeof fetch;
  const program = buildProgram({ env: { CONCORD_API_TOKEN: "cli-test-token-0123456789" }, out: (t) => printed.push(t), confirm: () => Promise.resolve(false), fetch: fetchImpl });
  throwOnExit(program);
  await program.parseAsync(["node", "concord", ...args]);
  return { printed: printed.join("\n"), requests };
}

describe("concord flows", () => {
  it("lists each flow's mode and who set it", async () => {
    const { printed } = await run(["flows"], {
      "GET /api/flows": {
        flows: [
          { flow: "orders.crmToOnec", mode: "dry-run", since: "2026-12-01T08:00:00.000Z", record: { by: "policy", source: "policy" } },
          { flow: "customers", mode: "live", since: "2026-12-01T09:00:00.000Z", record: { by: "alice", source: "console" } },
        ],
      },
    });
    expect(printed).toMatch(/orders\.crmToOnec\s+dry-run\s+2026-12-01 08:00:00Z\s+policy file/);
    expect(printed).toMatch(/customers\s+live\s+2026-12-01 09:00:00Z\s+alice/);
  });

  it("switches a flow with its reason and says what was decided again", async () => {
    const { printed, requests } = await run(["flows", "set", "orders.crmToOnec", "live", "--reason", "checked the dry-run"], {
      "PUT /api/flows/orders.crmToOnec": { flow: "orders.crmToOnec", mode: "live", since: "2026-12-01T10:00:00.000Z", changed: true, replay: { records: 3, duplicates: 0, exchangeLogCaughtUp: true } },
    });
    expect(requests[0]).toMatchObject({ method: "PUT", body: { mode: "live", reason: "checked the dry-run" } });
    expect(printed).toContain("orders.crmToOnec: now live (since 2026-12-01T10:00:00.000Z)");
    expect(printed).toContain("decided again, live: 3 record(s) shown in dry-run");
  });

  it("refuses an unknown flow or mode before calling the console", async () => {
    await expect(run(["flows", "set", "orders", "live"], {})).rejects.toThrow(/a flow: orders\.crmToOnec \| orders\.onecToCrm \| customers \| products/);
    await expect(run(["flows", "set", "customers", "paused"], {})).rejects.toThrow(/live \| dry-run/);
  });

  it("shows the would-be writes without the flow prefix", async () => {
    const { printed } = await run(["flows", "dry-run", "customers"], {
      "GET /api/flows/customers/dry-run": {
        flow: "customers",
        writes: [{ at: "2026-12-01T08:00:00.000Z", stage: "onec-writer", subject: { system: "bitrix24", entity: "company", id: "5" }, detail: 'dry-run (customers): would update Catalog_Контрагенты x: {"Description":"ООО Ромашка"}' }],
      },
    });
    expect(printed).toContain('bitrix24:company:5  would update Catalog_Контрагенты x: {"Description":"ООО Ромашка"}');
  });
});
