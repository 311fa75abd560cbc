import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultPolicyPath, loadPolicy, parsePolicy, PolicyError } from "./index";
import type { PolicyProblem } from "./index";

const FILE = "config/concord.policy.yaml";
const shipped = readFileSync(defaultPolicyPath, "utf8");

/** The shipped file with one exact substring replaced (fails loudly if the anchor moved). */
function edit(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

/** 1-based line of the first line containing `needle`, searching from line `after`. */
function lineOf(text: string, needle: string, after = 0): number {
  const index = text.split("\n").findIndex((line, i) => i >= after && line.includes(needle));
  if (index < 0) throw new Error(`no line contains ${needle}`);
  return index + 1;
}

function problemsOf(text: string): PolicyProblem[] {
  try {
    parsePolicy(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).problems;
  }
  throw new Error("expected the policy to be rejected");
}

function messageOf(text: string): string {
  try {
    parsePolicy(text, FILE);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the policy to be rejected");
}

describe("parsePolicy", () => {
  it("accepts the shipped policy file", () => {
    const policy = loadPolicy(defaultPolicyPath);
    expect(policy.version).toBe(1);
    expect(policy.systems).toEqual({ crm: "bitrix24", erp: "onec" });
    expect(policy.flows.product).toEqual({ erpToCrm: true });
    expect(policy.ownership.order.fields.status).toEqual({ beforePosting: "crm", afterPosting: "erp" });
    expect(policy.statusMap.crmToErp.WON).toBe("Закрыт");
    expect(policy.statusMap.erpToCrm["КОтгрузке"]).toBe("FINAL_INVOICE");
    expect(policy.deletes).toEqual({ crmDeal: { erp: "deletionMark" }, erpOrder: { crm: "stage", stage: "LOSE" } });
    expect(policy.fieldMap.number).toBe("UF_CRM_ONEC_NUMBER");
  });

  it("carries the defaults UT 11 needs on the orders Concord creates", () => {
    const policy = loadPolicy(defaultPolicyPath);
    expect(policy.onecOrder).toMatchObject({ businessOperation: "РеализацияКлиенту", vatRate: "НДС20", pricesIncludeVat: true });
    expect(policy.onecOrder?.organisation).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses to create 1C orders without the order defaults, naming the fix", () => {
    const start = shipped.indexOf("onecOrder:");
    const end = shipped.indexOf("\n\n", start);
    const text = shipped.slice(0, start) + shipped.slice(end + 2);
    expect(messageOf(text)).toMatch(/createInErp is on but onecOrder is missing/);
  });

  it("names a VAT rate or a catalog reference that 1C would not take", () => {
    expect(messageOf(edit(shipped, "vatRate: НДС20", "vatRate: НДС13"))).toMatch(/unknown 1C СтавкаНДС "НДС13"/);
    expect(messageOf(edit(shipped, "warehouse: 2113acf2-6013-5e41-a269-b35f45a216bc", "warehouse: Основной склад"))).toMatch(/invalid warehouse "Основной склад"/);
  });

  it("defaults flows that are not listed to off", () => {
    const text = edit(shipped, "  customer: { crmToErp: true, erpToCrm: true }\n", "");
    expect(parsePolicy(text, FILE).flows.customer).toEqual({ crmToErp: false, erpToCrm: false });
  });

  it("names the line, column and key of an unknown order field", () => {
    const text = edit(shipped, "      lines: crm\n", "      lines: crm\n      colour: crm\n");
    const problems = problemsOf(text);
    expect(problems).toEqual([
      {
        line: lineOf(text, "colour:"),
        column: 7,
        path: "ownership.order.fields",
        message: expect.stringContaining('unknown key "colour"'),
      },
    ]);
    expect(problems[0]?.message).toContain("expected one of: customer, lines, title");
    expect(messageOf(text)).toContain(`${FILE}:${lineOf(text, "colour:")}:7 ownership.order.fields: unknown key "colour"`);
  });

  it("rejects an unknown system with its line and names the value", () => {
    const text = edit(shipped, "systems: { crm: bitrix24, erp: onec }", "systems: { crm: bitrix24, erp: sap }");
    const line = lineOf(text, "systems:");
    expect(problemsOf(text)).toEqual([
      { line, column: text.split("\n")[line - 1]!.indexOf("sap") + 1, path: "systems.erp", message: expect.stringContaining('"sap"') },
    ]);
  });

  it("reports a duplicate key in a status map at the duplicate", () => {
    const text = edit(shipped, "    LOSE: Закрыт\n", "    LOSE: Закрыт\n    WON: Согласован\n");
    const line = lineOf(text, "WON: Согласован");
    expect(problemsOf(text)).toEqual([{ line, column: 5, path: "statusMap.crmToErp", message: 'duplicate key "WON"' }]);
    expect(messageOf(text)).toContain(`${FILE}:${line}:5 statusMap.crmToErp: duplicate key "WON"`);
  });

  it("rejects a status that is not a 1C Статус, at the value", () => {
    const text = edit(shipped, "EXECUTING: КОбеспечению", "EXECUTING: Отгружен");
    expect(problemsOf(text)).toEqual([
      {
        line: lineOf(text, "EXECUTING: Отгружен"),
        column: 16,
        path: "statusMap.crmToErp.EXECUTING",
        message: expect.stringContaining('unknown 1C Статус "Отгружен"'),
      },
    ]);
  });

  it("rejects an unknown 1C Статус as a key of erpToCrm, at the key", () => {
    const text = edit(shipped, "    КОтгрузке: FINAL_INVOICE", "    Отгружен: FINAL_INVOICE");
    expect(problemsOf(text)).toEqual([
      {
        line: lineOf(text, "Отгружен: FINAL_INVOICE"),
        column: 5,
        path: "statusMap.erpToCrm.Отгружен",
        message: expect.stringContaining('unknown 1C Статус "Отгружен"'),
      },
    ]);
  });

  it("checks stage ids against the Bitrix24 pattern, prefixed or not", () => {
    const ok = edit(shipped, "    WON: Закрыт\n", "    WON: Закрыт\n    C2:WON: Закрыт\n");
    expect(parsePolicy(ok, FILE).statusMap.crmToErp["C2:WON"]).toBe("Закрыт");

    const text = edit(edit(shipped, "    WON: Закрыт\n", "    won: Закрыт\n"), "Закрыт: WON", "Закрыт: C:WON");
    expect(problemsOf(text)).toEqual([
      { line: lineOf(text, "won: Закрыт"), column: 5, path: "statusMap.crmToErp.won", message: expect.stringContaining('"won"') },
      { line: lineOf(text, "Закрыт: C:WON"), column: 13, path: "statusMap.erpToCrm.Закрыт", message: expect.stringContaining('"C:WON"') },
    ]);
  });

  it("reports a YAML syntax error with its line", () => {
    const text = edit(shipped, "  customer:\n    master: crm", "  customer:\n    master: crm: erp");
    const line = lineOf(text, "master: crm: erp");
    expect(problemsOf(text)).toEqual([{ line, column: 13, path: "", message: expect.stringContaining("Nested mappings") }]);
    expect(messageOf(text)).toContain(`${FILE}:${line}:13 Nested mappings are not allowed`);
  });

  it("reports every problem at once, sorted by position", () => {
    let text = shipped;
    text = edit(text, "version: 1", "version: 2");
    text = edit(text, "erp: onec }", "erp: sap }");
    text = edit(text, "      title: crm\n", "      title: crm\n      colour: crm\n");
    text = edit(text, "amount: { beforePosting: crm, afterPosting: erp }", "amount: { beforePosting: both }");
    text = edit(text, "    APOLOGY: Закрыт\n", "    APOLOGY: Закрыт\n    NEW: Согласован\n");
    text = edit(text, "{ erp: deletionMark }", "{ erp: cancelStatus }");
    text = edit(text, "  number: UF_CRM_ONEC_NUMBER\n", "");
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.line, p.path, p.message.slice(0, 30)])).toEqual([
      [lineOf(text, "version:"), "version", expect.stringContaining("unsupported policy version 2")],
      [lineOf(text, "systems:"), "systems.erp", expect.stringContaining("unknown ERP system")],
      [lineOf(text, "colour:"), "ownership.order.fields", expect.stringContaining('unknown key "colour"')],
      [lineOf(text, "amount:"), "ownership.order.fields.amount", expect.stringContaining('missing required key "afterPo')],
      [lineOf(text, "amount:"), "ownership.order.fields.amount.beforePosting", expect.stringContaining('unknown master "both"')],
      [lineOf(text, "NEW: Согласован"), "statusMap.crmToErp", 'duplicate key "NEW"'],
      [lineOf(text, "crmDeal:"), "deletes.crmDeal.erp", expect.stringContaining("erp: cancelStatus needs status")],
      [lineOf(text, "fieldMap:"), "fieldMap", 'missing required key "number"'],
    ]);
    const lines = messageOf(text).split("\n");
    expect(lines[0]).toBe(`Invalid policy ${FILE}:`);
    expect(lines.slice(1)).toHaveLength(problems.length);
    for (const line of lines.slice(1)) expect(line).toMatch(new RegExp(`^${FILE}:\\d+:\\d+ \\S+: .+`));
  });

  it("rejects an order erpToCrm flow with an empty erpToCrm status map", () => {
    const text = edit(
      shipped,
      "  erpToCrm:\n    НеСогласован: NEW\n    Согласован: PREPAYMENT_INVOICE\n    КОбеспечению: EXECUTING\n    КОтгрузке: FINAL_INVOICE\n    Закрыт: WON\n",
      "  erpToCrm: {}\n",
    );
    expect(problemsOf(text)).toEqual([
      { line: lineOf(text, "erpToCrm: {}"), column: 13, path: "statusMap.erpToCrm", message: expect.stringContaining("flows.order.erpToCrm is on") },
    ]);
  });

  it("checks the delete rules", () => {
    const cancel = edit(shipped, "{ erp: deletionMark }", "{ erp: cancelStatus, status: Закрыт }");
    expect(parsePolicy(cancel, FILE).deletes.crmDeal).toEqual({ erp: "cancelStatus", status: "Закрыт" });

    const text = edit(edit(shipped, "{ erp: deletionMark }", "{ erp: none, status: Закрыт }"), "{ crm: stage, stage: LOSE }", "{ crm: stage }");
    expect(problemsOf(text).map((p) => [p.line, p.path])).toEqual([
      [lineOf(text, "crmDeal:"), "deletes.crmDeal.status"],
      [lineOf(text, "erpOrder:"), "deletes.erpOrder.crm"],
    ]);
  });

  it("rejects two fieldMap entries sharing one deal field", () => {
    const text = edit(shipped, "UF_CRM_ONEC_PAYMENT", "UF_CRM_ONEC_POSTED");
    expect(problemsOf(text)).toEqual([
      {
        line: lineOf(text, "paymentState: UF_CRM"),
        column: 17,
        path: "fieldMap.paymentState",
        message: expect.stringContaining("already used by fieldMap.posted"),
      },
    ]);
  });

  it("reads the deal sync status field, and checks its name, time zone and that no fieldMap entry uses it", () => {
    expect(loadPolicy(defaultPolicyPath).syncStatus).toEqual({ field: "UF_CRM_CONCORD_SYNC", timeZone: "Europe/Moscow", language: "en", comments: true });
    const minimal = edit(shipped, "  timeZone: Europe/Moscow # of the times shown\n  language: en # en | ru\n  comments: true\n", "");
    expect(parsePolicy(minimal, FILE).syncStatus).toEqual({ field: "UF_CRM_CONCORD_SYNC", timeZone: "Europe/Moscow", language: "en", comments: true });
    const off = edit(minimal, "syncStatus:\n  field: UF_CRM_CONCORD_SYNC\n", "");
    expect(parsePolicy(off, FILE).syncStatus).toBeUndefined();
    const taken = edit(shipped, "field: UF_CRM_CONCORD_SYNC", "field: UF_CRM_ONEC_NUMBER");
    expect(problemsOf(taken)).toEqual([
      { line: lineOf(taken, "field: UF_CRM_ONEC_NUMBER"), column: 10, path: "syncStatus.field", message: expect.stringContaining("already used by fieldMap.number") },
    ]);
    const badName = edit(shipped, "field: UF_CRM_CONCORD_SYNC", "field: CONCORD_SYNC");
    expect(problemsOf(badName)).toEqual([expect.objectContaining({ path: "syncStatus.field", message: 'invalid deal user field "CONCORD_SYNC"; expected UF_CRM_<NAME>' })]);
    const badZone = edit(shipped, "timeZone: Europe/Moscow", "timeZone: Mars/Olympus");
    expect(problemsOf(badZone)).toEqual([expect.objectContaining({ path: "syncStatus.timeZone", message: expect.stringContaining('unknown time zone "Mars/Olympus"') })]);
  });

  it("checks that create flows come with their update flow", () => {
    const text = edit(shipped, "erpToCrm: true, createInCrm: true", "erpToCrm: false, createInCrm: true");
    expect(problemsOf(text)).toEqual([
      expect.objectContaining({ line: lineOf(text, "createInCrm"), path: "flows.order.createInCrm" }),
    ]);
  });

  it("starts no flow in dry-run unless listed, and reads the listed ones", () => {
    expect(loadPolicy(defaultPolicyPath).flows.dryRun).toEqual([]);
    const text = edit(shipped, "  dryRun: []\n", "  dryRun: [orders.crmToOnec, customers]\n");
    expect(parsePolicy(text, FILE).flows.dryRun).toEqual(["orders.crmToOnec", "customers"]);
  });

  it("names an unknown or repeated dry-run flow at its line", () => {
    const unknown = edit(shipped, "  dryRun: []\n", "  dryRun:\n    - orders\n    - customers\n");
    expect(problemsOf(unknown)).toEqual([
      expect.objectContaining({ line: lineOf(unknown, "- orders"), path: "flows.dryRun.0", message: expect.stringContaining('unknown flow "orders"; expected "orders.crmToOnec" | "orders.onecToCrm" | "customers" | "products"') }),
    ]);
    const repeated = edit(shipped, "  dryRun: []\n", "  dryRun:\n    - customers\n    - customers\n");
    expect(problemsOf(repeated)).toEqual([expect.objectContaining({ line: lineOf(repeated, "- customers") + 1, path: "flows.dryRun.1", message: 'flow "customers" is listed twice' })]);
  });

  it("reads the business keys and how they compare, and names a key a kind cannot use", () => {
    expect(loadPolicy(defaultPolicyPath).matching).toEqual({
      customer: { legalEntity: ["innKpp"], soleTrader: ["inn"], person: ["email", "phone"] },
      normalise: { email: "lowercase", phone: "ruPhone" },
    });
    const text = edit(shipped, "    person: [email, phone]\n", "    person: [innKpp]\n");
    expect(problemsOf(text)).toEqual([expect.objectContaining({ line: lineOf(text, "person: [innKpp]"), path: "matching.customer.person.0" })]);
    const rule = edit(shipped, "phone: ruPhone }", "phone: e164 }");
    expect(problemsOf(rule)).toEqual([expect.objectContaining({ path: "matching.normalise.phone" })]);
  });

  it("names an unknown key at the top level and in flows", () => {
    const text = edit(edit(shipped, "product: { erpToCrm: true }", "product: { erpToCrm: true, crmToErp: true }"), "version: 1\n", "version: 1\ncolour: blue\n");
    expect(problemsOf(text)).toEqual([
      { line: 5, column: 1, path: "(root)", message: expect.stringContaining('unknown key "colour"') },
      { line: lineOf(text, "product: { erpToCrm"), column: 30, path: "flows.product", message: expect.stringContaining('unknown key "crmToErp"') },
    ]);
  });

  it("reports an empty value at its key", () => {
    const text = edit(shipped, "      title: crm\n", "      title:\n");
    expect(problemsOf(text)).toEqual([
      expect.objectContaining({ line: lineOf(text, "title:"), column: 7, path: "ownership.order.fields.title" }),
    ]);
  });

  it("rejects an empty document at 1:1", () => {
    expect(problemsOf("")).toEqual([{ line: 1, column: 1, path: "(root)", message: expect.stringContaining("expected object") }]);
  });
});

describe("loadPolicy", () => {
  it("throws a PolicyError for a missing file", () => {
    expect(() => loadPolicy(join(tmpdir(), "no-such-concord.policy.yaml"))).toThrow(PolicyError);
  });

  it("labels problems with the file it read", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-"));
    const file = join(dir, "bad.policy.yaml");
    writeFileSync(file, edit(shipped, "erp: onec }", "erp: sap }"));
    expect(() => loadPolicy(file)).toThrow(new RegExp(`bad\\.policy\\.yaml:${lineOf(shipped, "systems:")}:\\d+ systems\\.erp`));
  });
});
