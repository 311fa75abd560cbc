import { z } from "zod";
import { DecisionActionSchema } from "@concord/contracts";
import type { Ref } from "./records";

/**
 * People's decisions on ambiguous matches, given to `concord backfill --decisions <file>`: one
 * per record, as CSV (`source,action,candidate[,reason]`, a header line) or JSON (an array of
 * `{ source, action, candidate?, reason? }`). `source` is the record as the report names it
 * (`bitrix24:company:7`, `onec:product:<Ref_Key>`).
 */
export interface DecisionEntry {
  source: Ref;
  action: "link" | "create" | "ignore";
  candidate: string | null;
  reason: string | null;
  line: number;
}

const SOURCE = /^(bitrix24|onec):(deal|company|contact|product|order|counterparty):([0-9a-zA-Z-]{1,64})$/;

const EntrySchema = z
  .object({
    source: z.string().regex(SOURCE, "source must read <system>:<entity>:<id>, e.g. bitrix24:company:7"),
    action: DecisionActionSchema,
    candidate: z.string().trim().min(1).max(64).optional(),
    reason: z.string().max(500).optional(),
  })
  .refine((e) => e.action !== "link" || e.candidate !== undefined, { message: "link needs candidate: the id of one of the report's candidates", path: ["candidate"] })
  .refine((e) => e.action === "link" || e.candidate === undefined, { message: "candidate is only for link", path: ["candidate"] });

export type ParseResult = { ok: true; value: DecisionEntry[] } | { ok: false; error: string };

/** Splits one CSV line (quotes, doubled quotes, commas or semicolons). */
export function splitCsvLine(line: string, separator: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === separator) {
      cells.push(cell);
      cell = "";
    } else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

/** Parses a decisions file; every problem names its line (CSV) or index (JSON). A record decided twice is refused. */
export function parseDecisions(text: string, format: "csv" | "json"): ParseResult {
  const raw: Array<{ value: Record<string, unknown>; line: number }> = [];
  if (format === "json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return { ok: false, error: `not JSON: ${(error as Error).message}` };
    }
    if (!Array.isArray(parsed)) return { ok: false, error: "a JSON decisions file is an array of { source, action, candidate?, reason? }" };
    parsed.forEach((value, i) => raw.push({ value: (value ?? {}) as Record<string, unknown>, line: i }));
  } else {
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    const first = lines[0] ?? "";
    const separator = first.includes(";") && !first.includes(",") ? ";" : ",";
    const header = splitCsvLine(first, separator).map((h) => h.toLowerCase());
    for (const name of ["source", "action"]) if (!header.includes(name)) return { ok: false, error: `line 1: the header needs a "${name}" column (source,action,candidate,reason)` };
    lines.slice(1).forEach((line, i) => {
      if (line.trim() === "" || line.trimStart().startsWith("#")) return;
      const cells = splitCsvLine(line, separator);
      const value: Record<string, unknown> = {};
      header.forEach((name, j) => {
        const cell = cells[j];
        if (cell !== undefined && cell !== "") value[name] = cell;
      });
      raw.push({ value, line: i + 2 });
    });
  }
  const out: DecisionEntry[] = [];
  const seen = new Map<string, number>();
  for (const { value, line } of raw) {
    const where = format === "csv" ? `line ${line}` : `entry ${line}`;
    const parsed = EntrySchema.safeParse(value);
    if (!parsed.success) return { ok: false, error: `${where}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "entry"}: ${i.message}`).join("; ")}` };
    const m = SOURCE.exec(parsed.data.source) as RegExpExecArray;
    const source = { system: m[1], entity: m[2], id: m[1] === "onec" ? (m[3] as string).toLowerCase() : (m[3] as string) } as Ref;
    const key = `${source.system}:${source.entity}:${source.id}`;
    if (seen.has(key)) return { ok: false, error: `${where}: ${key} is decided twice (also ${format === "csv" ? "line" : "entry"} ${seen.get(key)})` };
    seen.set(key, line);
    out.push({ source, action: parsed.data.action, candidate: parsed.data.candidate ?? null, reason: parsed.data.reason ?? null, line });
  }
  return { ok: true, value: out };
}
