import type { Command } from "commander";
import type { AlertView } from "@concord/contracts";
import type { ConsoleClient } from "./client";

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** One block per alert: what and since when, then how its notices went where they did not simply go out. */
export function formatAlerts(alerts: AlertView[]): string {
  if (alerts.length === 0) return "no alerts";
  return alerts
    .map((a) => {
      const when = a.status === "active" ? `since ${a.firedAt}` : `${a.firedAt} → resolved ${a.resolvedAt ?? "?"}`;
      const head = `alert ${a.id} ${a.status} ${a.rule} ${a.subject} (${when})\n  ${oneLine(a.summary)}`;
      const troubled = a.deliveries.filter((d) => d.status !== "sent");
      const lines = troubled.map((d) => `  ${d.notice} to ${d.channel}: ${d.status} after ${d.attempts} attempt(s)${d.lastError ? ` — ${oneLine(d.lastError)}` : ""}`);
      return [head, ...lines].join("\n");
    })
    .join("\n\n");
}

/** `concord alerts`: what is firing now (the console's evaluator; docs/alerts.md). */
export function addAlertCommands(program: Command, api: () => ConsoleClient, out: (text: string) => void): void {
  program
    .command("alerts")
    .description("alerts firing now (dead letters, backlog, error rate, circuits, silent flows, services, decisions); --all: resolved ones too")
    .option("--all", "resolved ones too (newest first)")
    .option("--json", "print JSON")
    .action(async (options: { all?: boolean; json?: boolean }) => {
      const { body } = await api().request<{ alerts: AlertView[] }>("GET", `/api/alerts?status=${options.all ? "all" : "active"}`);
      out(options.json ? JSON.stringify(body, null, 2) : formatAlerts(body.alerts));
    });
}
