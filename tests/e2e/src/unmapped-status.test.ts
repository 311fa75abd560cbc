import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeadLetterSchema, type DeadLetter } from "@concord/contracts";
import { defaultPolicyPath } from "@concord/policy";
import { waitFor } from "@concord/testkit";
import { ORDER_SET, editInOnec, onecOrder, startTestSystem, syncedDeal, waitQuiet, writeCounts, type TestSystem } from "./harness";

jest.setTimeout(120_000);

// The shipped policy without a CRM stage for the 1C status «Закрыт», and with 1C owning the lines.
const policyFile = join(mkdtempSync(join(tmpdir(), "concord-policy-")), "policy.yaml");
writeFileSync(
  policyFile,
  readFileSync(defaultPolicyPath, "utf8")
    .replace(/^\s*Закрыт:\s*WON\s*$/m, "")
    .replace(/^(\s*)lines: crm$/m, "$1lines: erp"),
);

let t: TestSystem;
beforeAll(async () => {
  expect(readFileSync(policyFile, "utf8")).not.toMatch(/Закрыт:\s*WON/);
  expect(readFileSync(policyFile, "utf8")).toMatch(/lines: erp/);
  t = await startTestSystem({ env: { resolver: { POLICY_FILE: policyFile } } });
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

async function deadLetters(): Promise<DeadLetter[]> {
  const info = await t.jsm.streams.info(t.subjects.streams.dlq);
  const out: DeadLetter[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const msg = await t.jsm.streams.getMessage(t.subjects.streams.dlq, { seq }).catch(() => null);
    if (msg) out.push(DeadLetterSchema.parse(msg.json()));
  }
  return out;
}

it("dead-letters a 1C status that the status map does not know, naming the status", async () => {
  const { ref } = await syncedDeal(t);
  await editInOnec(t, ORDER_SET, ref, {}, "Post");
  await editInOnec(t, ORDER_SET, ref, { Статус: "Закрыт" });
  const [letter] = await waitFor(async () => {
    const letters = (await deadLetters()).filter((l) => l.error.code === "STATUS_UNMAPPED");
    return letters.length > 0 ? letters : undefined;
  }, { timeoutMs: 30_000, what: "the dead letter" });
  expect(letter?.error.message).toContain("Закрыт");
  expect(letter?.error.kind).toBe("permanent");
  expect(letter?.stage).toBe("resolver");
  expect(letter?.attempts).toBe(1);
  // The outcome reaches the exchange log through OUTCOMES after the letter itself: wait for it.
  const rows = await waitFor(async () => {
    const r = await t.sql<Array<{ result: string }>>`select result from exchange_log where record_id = ${ref} and result = 'dead-lettered'`;
    return r.length > 0 ? r : undefined;
  }, { timeoutMs: 30_000, what: "the dead-lettered outcome in the exchange log" });
  expect(rows[0]?.result).toBe("dead-lettered");
});

it("writes 1C-owned lines to the deal's rows, creating the CRM product first", async () => {
  const { dealId, ref } = await syncedDeal(t);
  const products = await t.onecRecords("Catalog_Номенклатура");
  const sku9 = products.find((p) => p.Артикул === "SKU-009") as Record<string, unknown>;
  const before = await writeCounts(t);
  await editInOnec(t, ORDER_SET, ref, { Товары: [{ LineNumber: 1, Номенклатура_Key: sku9.Ref_Key, Количество: 4, Цена: 125, Сумма: 500 }] });
  const rows = await waitFor(async () => {
    const r = await t.b24<Array<Record<string, unknown>>>("crm.deal.productrows.get", { id: dealId });
    return r.length === 1 && Number(r[0]?.QUANTITY) === 4 ? r : undefined;
  }, { timeoutMs: 30_000, what: "the deal's rows from 1C" });
  const crmProducts = await t.b24<Array<Record<string, unknown>>>("crm.product.list", { filter: { XML_ID: "SKU-009" } });
  expect(crmProducts).toHaveLength(1);
  expect([String(rows[0]?.PRODUCT_ID), Number(rows[0]?.PRICE)]).toEqual([String(crmProducts[0]?.ID), 125]);
  await waitQuiet(t);
  expect((await t.b24<Record<string, unknown>>("crm.deal.get", { id: dealId })).OPPORTUNITY).toBe("500.00");
  expect((await writeCounts(t)).onecOrderWrites - before.onecOrderWrites).toBe(0); // nothing written back to 1C
  expect(((await onecOrder(t, ref)).Товары as unknown[]).length).toBe(1);
});
