import { parseDecisions, splitCsvLine } from "./decisions-file";
import { formatReport, reportCsv, summaryOf, type Report } from "./report";
import { progressLine } from "./run";

const report: Report = {
  kind: "backfill",
  entity: "customers",
  apply: false,
  runId: 7,
  read: { "bitrix24.company": 3, "onec.counterparty": 4 },
  results: {
    entity: "customers",
    pairs: [{ source: { system: "bitrix24", entity: "company", id: "1" }, target: { system: "onec", entity: "counterparty", id: "a" }, by: "match:innKpp", sourceLabel: "«Альфа, ООО»", targetLabel: '=HYPERLINK("x")' }],
    alreadyMapped: 2,
    ambiguous: [{ source: { system: "bitrix24", entity: "company", id: "2" }, summary: "Bitrix24 company 2 «Бета»", reason: "2 records share the same innKpp", candidates: [{ id: "b1", label: "«Бета»", keys: ["innKpp"], linkedTo: null }, { id: "b2", label: "«Бета (дубль)»", keys: ["innKpp"], linkedTo: null }] }],
    unmatched: { bitrix24: [{ ref: { system: "bitrix24", entity: "company", id: "3" }, label: "«Гамма»", note: "no 1C counterparty has its keys" }], onec: [] },
    disagreements: [],
  },
  applied: [],
  startedAt: "2026-12-01T09:00:00.000Z",
  finishedAt: "2026-12-01T09:00:02.000Z",
  requests: { bitrix24: 4, onec: 2 },
};

it("CSV: one line per finding, quoted where needed, formulas defused", () => {
  const lines = reportCsv(report).trim().split("\n");
  expect(lines[0]).toBe("kind,entity,source,target,by,source_label,target_label,note,candidates");
  expect(lines[1]).toBe(`pair,customers,bitrix24:company:1,onec:counterparty:a,match:innKpp,"«Альфа, ООО»","'=HYPERLINK(""x"")",,`);
  expect(lines[2]).toContain("ambiguous,customers,bitrix24:company:2,,,Bitrix24 company 2 «Бета»,,2 records share the same innKpp,b1 «Бета» | b2 «Бета (дубль)»");
  expect(lines[3]).toContain("unmatched-bitrix24,customers,bitrix24:company:3");
  expect(lines).toHaveLength(4);
});

it("summary and screen report", () => {
  expect(summaryOf(report)).toEqual({ newPairs: 1, byKey: { "match:innKpp": 1 }, alreadyMapped: 2, ambiguous: 1, unmatchedBitrix24: 1, unmatchedOnec: 0, disagreements: 0 });
  const text = formatReport(report, { csv: "r.csv", json: "r.json" });
  expect(text).toContain("dry-run: nothing written");
  expect(text).toContain("would link: 1 (match:innKpp 1); already mapped: 2");
  expect(text).toContain("  ? Bitrix24 company 2 «Бета»: 2 records share the same innKpp");
  expect(text).toContain("      b2  «Бета (дубль)»");
});

it("progress: counts, rate and time left", () => {
  const cp = { a: { next: 100, done: false, read: 100, total: 400 }, b: { next: 0, done: true, read: 100, total: 100 } };
  expect(progressLine("backfill customers", cp, 0, 0, 10_000)).toBe("backfill customers: read 200/500 (40%) · 20 records/s · ~15 s left");
});

describe("decisions file", () => {
  it("reads CSV with a header, quotes, comments and semicolons", () => {
    const csv = 'source,action,candidate,reason\nbitrix24:company:2,link,B1-GUID,"the live one, per accounts"\n# a comment\n\nbitrix24:company:7,create,,\n';
    const parsed = parseDecisions(csv, "csv");
    expect(parsed).toEqual({
      ok: true,
      value: [
        { source: { system: "bitrix24", entity: "company", id: "2" }, action: "link", candidate: "B1-GUID", reason: "the live one, per accounts", line: 2 },
        { source: { system: "bitrix24", entity: "company", id: "7" }, action: "create", candidate: null, reason: null, line: 5 },
      ],
    });
    expect(parseDecisions("source;action\nbitrix24:contact:5;ignore\n", "csv")).toMatchObject({ ok: true, value: [{ action: "ignore" }] });
    expect(splitCsvLine('a,"b ""c""",d', ",")).toEqual(["a", 'b "c"', "d"]);
  });

  it("reads JSON", () => {
    expect(parseDecisions(JSON.stringify([{ source: "onec:product:ABC", action: "ignore" }]), "json")).toMatchObject({ ok: true, value: [{ source: { system: "onec", id: "abc" } }] });
  });

  it("refuses what it cannot apply, naming the line", () => {
    expect(parseDecisions("source,action\nbitrix24:company:2,link\n", "csv")).toEqual({ ok: false, error: "line 2: candidate: link needs candidate: the id of one of the report's candidates" });
    expect(parseDecisions("source,action,candidate\nbitrix24:company:2,create,x\n", "csv")).toMatchObject({ ok: false, error: expect.stringContaining("candidate is only for link") });
    expect(parseDecisions("source,action\ncompany 2,link\n", "csv")).toMatchObject({ ok: false, error: expect.stringContaining("line 2: source: source must read") });
    expect(parseDecisions("source,action\nbitrix24:company:2,merge\n", "csv")).toMatchObject({ ok: false, error: expect.stringContaining("line 2: action") });
    expect(parseDecisions("source,action\nbitrix24:company:2,ignore\nbitrix24:company:2,create\n", "csv")).toEqual({ ok: false, error: "line 3: bitrix24:company:2 is decided twice (also line 2)" });
    expect(parseDecisions("action\nx\n", "csv")).toMatchObject({ ok: false, error: expect.stringContaining('"source" column') });
    expect(parseDecisions("{}", "json")).toMatchObject({ ok: false });
  });
});
