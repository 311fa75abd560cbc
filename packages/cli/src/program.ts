import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import { Command, InvalidArgumentError, Option } from "commander";
import {
  FLOW_NAMES,
  FlowModeSchema,
  FlowNameSchema,
  SystemSchema,
  EntitySchema,
  isResyncable,
  resyncEntities,
  type AuditEntry,
  type DeadLetterRecord,
  type DlqGetReply,
  type DlqMarkReply,
  type ExchangeEntry,
} from "@concord/contracts";
import { createMasker } from "@concord/telemetry";
import { CliError, createConsoleClient, targetFromEnv, type ConsoleClient } from "./client";
import { parseFilter, toFilter } from "./filter";
import { formatFlows, formatList, formatShow, formatWouldBeWrites, type FlowView } from "./format";
import { printable } from "./printable";
import { addDecisionCommands } from "./decisions";
import { addAlertCommands } from "./alerts";
import { addUserCommands } from "./users";

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  /** Asks a yes/no question; resolves false on anything but y/yes (or end of input). */
  confirm(question: string): Promise<boolean>;
  fetch?: typeof fetch;
  /** A password for `users hash` (default: stdin, not echoed on a terminal). */
  readPassword?: () => Promise<string>;
}

/** A password from stdin: the first line when piped; typed without echo on a terminal. */
export async function passwordFromStdin(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? "";
  }
  process.stderr.write("password: ");
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await rl.question("");
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}

/** Reads one answer from stdin. */
export async function confirmOnStdin(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await Promise.race([rl.question(question), new Promise<string>((resolve) => rl.once("close", () => resolve("")))]);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

const positiveId = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("a dead letter id is a positive number (see `concord dlq list`)");
  return value;
};
const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError("a number from 1 to 1000");
  return n;
};

interface RetryReply {
  id: number;
  action: string;
  subject: string;
  messageId: string;
  duplicate: boolean;
}

/** The `concord` command tree. Output goes through a masker that knows the API token. */
export function buildProgram(io: CliIo): Command {
  const mask = createMasker();
  // Masked, then stripped of control characters: every printed value passes here.
  const out = (text: string) => io.out(printable(mask.text(text)));
  let client: ConsoleClient | undefined;
  const api = () => {
    if (!client) {
      const target = targetFromEnv(io.env);
      mask.addSecrets([target.token]);
      client = createConsoleClient(target, io.fetch);
    }
    return client;
  };

  const program = new Command("concord")
    .description("Concord operations: dead letters and resync, through the console API (CONCORD_CONSOLE_URL, CONCORD_API_TOKEN)")
    .configureOutput({ writeOut: (s) => io.out(printable(s.replace(/\n$/, ""))), outputError: (s, write) => write(printable(s)) });

  const dlq = program.command("dlq").description("list, show, retry and discard dead letters");

  dlq
    .command("list")
    .description("dead letters, newest first")
    .option("--flow <flow>", 'e.g. "bitrix24.deal→onec.order" (or bitrix24.deal->onec.order)')
    .addOption(new Option("--system <system>", "system of the source record").choices(SystemSchema.options))
    .option("--code <code>", "error code, e.g. ONEC_REJECTED")
    .addOption(new Option("--status <status>", "open | retried | discarded | resolved").choices(["open", "retried", "discarded", "resolved"]))
    .option("--since <time>", "last failure at or after: ISO date/time or an age (30m, 2h, 7d)")
    .option("--until <time>", "last failure at or before")
    .option("--limit <n>", "at most this many (1–1000)", positiveInt, 50)
    .option("--json", "print JSON instead of a table")
    .action(async (options: { flow?: string; system?: string; code?: string; status?: string; since?: string; until?: string; limit: number; json?: boolean }) => {
      const filter = toFilter(options);
      const query = new URLSearchParams({ ...filter, limit: String(options.limit) } as Record<string, string>);
      const { body } = await api().request<{ deadLetters: DeadLetterRecord[]; total: number }>("GET", `/api/dlq?${query.toString()}`);
      out(options.json ? JSON.stringify(body, null, 2) : formatList(body));
    });

  dlq
    .command("show")
    .description("one dead letter: masked payload, error, attempts, trace id and retry history")
    .argument("<id>", "dead letter id", positiveId)
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const { body } = await api().request<DlqGetReply & { audit?: AuditEntry[] }>("GET", `/api/dlq/${id}`);
      out(options.json ? JSON.stringify(body, null, 2) : formatShow(body, (t) => t));
    });

  dlq
    .command("retry")
    .description("re-publish a dead letter's original to the step that failed (or, with --refresh, rebuild it from the source record); or every open one matching --filter")
    .argument("[id]", "dead letter id", positiveId)
    .option("--filter <key=value,…>", "retry every open dead letter matching, e.g. code=PRODUCT_NOT_FOUND,system=onec (keys: flow, system, code, since, until)")
    .option("--refresh", "announce the source record as changed instead: the resolver rebuilds the command from its current state")
    .option("-y, --yes", "with --filter: do not ask for confirmation")
    .action(async (id: string | undefined, options: { filter?: string; refresh?: boolean; yes?: boolean }) => {
      const refresh = options.refresh === true;
      if (id && options.filter) throw new CliError("give a dead letter id or --filter, not both");
      if (id) {
        const { body } = await api().request<RetryReply>("POST", `/api/dlq/${id}/retry`, { refresh });
        out(`dead letter ${body.id}: ${body.action} to ${body.subject} as ${body.messageId}${body.duplicate ? " (already published before: not stored again)" : ""}; marked retried`);
        return;
      }
      if (!options.filter) throw new CliError("give a dead letter id, or --filter key=value,… to retry many");
      const filter = parseFilter(options.filter);
      if ("status" in filter) throw new CliError("--filter retries open dead letters only: drop status=");
      const preview = await api().request<{ wouldRetry: number; ids: number[] }>("POST", "/api/dlq/retry", { filter, refresh }, [409]);
      const count = preview.body.wouldRetry;
      if (count === 0) {
        out("no open dead letters match: nothing to retry");
        return;
      }
      out(`${count} open dead letter${count === 1 ? "" : "s"} match${count === 1 ? "es" : ""}: ${preview.body.ids.slice(0, 20).join(", ")}${preview.body.ids.length > 20 ? ", …" : ""}`);
      if (!options.yes && !(await io.confirm(`Retry ${count}${refresh ? " with --refresh" : ""}? [y/N] `))) throw new CliError("not confirmed: nothing retried");
      const { body } = await api().request<{ retried: RetryReply[]; failed: Array<{ id: number; error: string }> }>("POST", "/api/dlq/retry", { filter, refresh, confirm: true });
      for (const r of body.retried) out(`dead letter ${r.id}: ${r.action} as ${r.messageId}`);
      for (const f of body.failed) out(`dead letter ${f.id}: not retried: ${f.error}`);
      out(`retried ${body.retried.length}, failed ${body.failed.length}`);
      if (body.failed.length > 0) throw new CliError(`${body.failed.length} dead letter(s) could not be retried`);
    });

  dlq
    .command("discard")
    .description("give up on a dead letter, saying why")
    .argument("<id>", "dead letter id", positiveId)
    .requiredOption("--reason <text>", "why it is discarded (required: the next person reads it)")
    .action(async (id: string, options: { reason: string }) => {
      if (!options.reason.trim()) throw new CliError("--reason must say why");
      const { body } = await api().request<DlqMarkReply>("POST", `/api/dlq/${id}/discard`, { reason: options.reason });
      out(`dead letter ${body.deadLetter.id}: discarded${body.changed ? "" : " (already)"} — ${body.deadLetter.discardReason ?? ""}`);
    });

  program
    .command("resync")
    .description(`announce a record as changed, so Concord syncs it again from its current state (bitrix24 ${resyncEntities.bitrix24.join("|")}; onec ${resyncEntities.onec.join("|")})`)
    .argument("<system>", "bitrix24 | onec")
    .argument("<entity>", "deal, company, contact (bitrix24); order, counterparty, product (onec)")
    .argument("<id>", "the record's id in that system (Bitrix24 ID, 1C Ref_Key)")
    .action(async (system: string, entity: string, id: string) => {
      const s = SystemSchema.safeParse(system);
      const e = EntitySchema.safeParse(entity);
      if (!s.success || !e.success || !isResyncable(s.data, e.data)) {
        throw new CliError(`cannot resync "${system} ${entity}": use bitrix24 ${resyncEntities.bitrix24.join("|")} or onec ${resyncEntities.onec.join("|")}`);
      }
      const { body } = await api().request<{ subject: string; messageId: string; duplicate: boolean }>("POST", "/api/resync", { system: s.data, entity: e.data, id });
      out(`resync of ${s.data} ${e.data} ${id} published as ${body.messageId}`);
    });

  const flows = program.command("flows").description("flows (orders.crmToOnec, orders.onecToCrm, customers, products): live or dry-run").action(async () => {
    const { body } = await api().request<{ flows: FlowView[] }>("GET", "/api/flows");
    out(formatFlows(body.flows));
  });
  const flowName = (value: string) => {
    if (!FlowNameSchema.safeParse(value).success) throw new InvalidArgumentError(`a flow: ${FLOW_NAMES.join(" | ")}`);
    return value;
  };

  flows
    .command("set")
    .description("switch a flow live or to dry-run (admin; recorded in the audit trail). Dry-run → live decides again, live, every record the dry-run showed")
    .argument("<flow>", FLOW_NAMES.join(" | "), flowName)
    .argument("<mode>", "live | dry-run", (value: string) => {
      if (!FlowModeSchema.safeParse(value).success) throw new InvalidArgumentError("live | dry-run");
      return value;
    })
    .option("--reason <text>", "why (kept in the audit trail)")
    .action(async (flow: string, mode: string, options: { reason?: string }) => {
      const { body } = await api().request<{ flow: string; mode: string; since: string; changed: boolean; replay: { records: number; duplicates: number; exchangeLogCaughtUp: boolean } | null }>(
        "PUT",
        `/api/flows/${flow}`,
        { mode, ...(options.reason ? { reason: options.reason } : {}) },
      );
      out(`${body.flow}: ${body.changed ? "now" : "already"} ${body.mode} (since ${body.since})`);
      if (body.replay) {
        out(`decided again, live: ${body.replay.records} record(s) shown in dry-run${body.replay.exchangeLogCaughtUp ? "" : " (the exchange log was still catching up: run `concord flows dry-run` to check)"}`);
      }
    });

  flows
    .command("dry-run")
    .description("what a flow in dry-run would have written (the exchange log's dry-run outcomes), newest first")
    .argument("<flow>", FLOW_NAMES.join(" | "), flowName)
    .option("--since <time>", "at or after: ISO date/time or an age (30m, 2h, 7d)")
    .option("--limit <n>", "at most this many (1–1000)", positiveInt, 50)
    .option("--json", "print JSON")
    .action(async (flow: string, options: { since?: string; limit: number; json?: boolean }) => {
      const query = new URLSearchParams({ limit: String(options.limit) });
      if (options.since) query.set("since", toFilter({ since: options.since }).from ?? options.since);
      const { body } = await api().request<{ flow: string; writes: ExchangeEntry[] }>("GET", `/api/flows/${flow}/dry-run?${query.toString()}`);
      out(options.json ? JSON.stringify(body, null, 2) : formatWouldBeWrites(body.writes));
    });

  addDecisionCommands(program, api, out);
  addAlertCommands(program, api, out);
  addUserCommands(program, io.readPassword ?? passwordFromStdin, out);

  return program;
}
