import { InvalidArgumentError, type Command } from "commander";
import { DecisionActionSchema, type Decision } from "@concord/contracts";
import type { ConsoleClient } from "./client";
import { table } from "./format";

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** Open decisions, each with its candidates numbered under it. */
export function formatDecisions(decisions: Decision[]): string {
  if (decisions.length === 0) return "no decisions waiting";
  return decisions
    .map((d) => {
      const taken = d.action ? `: ${d.action}${d.chosenId ? ` ${d.chosenId}` : ""} by ${d.decidedBy ?? "?"}` : "";
      const superseded = d.status === "superseded" ? `, linked meanwhile by mapping ${d.supersededBy ?? "?"}` : "";
      const head = `decision ${d.id} (${d.status}${taken}${superseded}) — ${oneLine(d.summary)}\n  ${oneLine(d.reason)}`;
      const rows = d.candidates.map((c) => [c.id, c.keys.join("+"), c.linkedTo ? `linked to ${c.linkedTo}` : "", oneLine(c.label)]);
      return `${head}\n${table(["  candidate", "keys", "", "record"], rows.map(([id, ...rest]) => [`  ${id ?? ""}`, ...rest]))}`;
    })
    .join("\n\n");
}

/** `concord decisions`: the ambiguous matches that wait for a person, and deciding them. */
export function addDecisionCommands(program: Command, api: () => ConsoleClient, out: (text: string) => void): void {
  const decisions = program
    .command("decisions")
    .description("records whose business keys matched ambiguously: nothing is created until a person decides")
    .option("--all", "decided ones too")
    .option("--json", "print JSON")
    .action(async (options: { all?: boolean; json?: boolean }) => {
      const { body } = await api().request<{ decisions: Decision[] }>("GET", `/api/decisions?status=${options.all ? "all" : "open"}`);
      out(options.json ? JSON.stringify(body, null, 2) : formatDecisions(body.decisions));
    });
  decisions
    .command("decide")
    .description("link to a candidate, create a new record, or ignore the record (operator; recorded in the audit trail). The held records resume by themselves")
    .argument("<id>", "the decision's id (see `concord decisions`)", (value: string) => {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("a decision id is a positive number");
      return Number(value);
    })
    .argument("<action>", "link | create | ignore", (value: string) => {
      if (!DecisionActionSchema.safeParse(value).success) throw new InvalidArgumentError("link | create | ignore");
      return value;
    })
    .argument("[candidate]", "for link: the candidate's id")
    .option("--reason <text>", "why (kept in the audit trail)")
    .action(async (id: number, action: string, candidate: string | undefined, options: { reason?: string }) => {
      if (action === "link" && !candidate) throw new InvalidArgumentError("link needs the candidate's id");
      const { body } = await api().request<{ decision: Decision }>("POST", `/api/decisions/${id}`, {
        action,
        ...(candidate ? { candidate } : {}),
        ...(options.reason ? { reason: options.reason } : {}),
      });
      const d = body.decision;
      out(`decision ${d.id}: ${d.action}${d.chosenId ? ` ${d.chosenId}` : ""} — ${d.source.system} ${d.source.entity} ${d.source.id} resumes within seconds`);
    });
}
