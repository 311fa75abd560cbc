import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bitrix24WebhookBase, onecServiceRoot } from "@concord/launcher";
import { waitFor } from "@concord/testkit";
import { contextFromEnv, runBackfill, runReconcile, runRebuild, runVerify, type GoLiveContext, type GoLiveEntity, type Report } from "@concord/go-live";
import { COUNTERPARTY_SET, ORDER_SET, markerOf, onecOrder, ordersOfDeal, startTestSystem, waitQuiet, type TestSystem } from "./harness";
import { crmCompany, seedLegacyOnec, type Rec } from "./legacy-seed";

// Go-live tools (issue 14) on the legacy seed data of issue 13: backfill matches what is
// certain and reports the rest, applies once, resumes after a SIGKILL; the mapping is rebuilt
// from the records' inverse ids alone and verified. All against the running system.

jest.setTimeout(300_000);

let t: TestSystem;
let onec: Awaited<ReturnType<typeof seedLegacyOnec>>;
let env: NodeJS.ProcessEnv;
let ctx: GoLiveContext;
const crm: Record<string, number> = {};
let products1CByArticle = new Map<string, string>();
const products1C = (article: string) => products1CByArticle.get(article) ?? "?";
const ref = (r: Rec) => String(r.Ref_Key).toLowerCase();

type Row = { source_system: string; source_entity: string; source_id: string; target_system: string; target_entity: string; target_id: string | null; state: string; created_by: string; decision: string | null; decision_target: string | null };
const table = () =>
  t.sql<Row[]>`select source_system, source_entity, source_id, target_system, target_entity, target_id, state, created_by, decision, decision_target from id_mapping order by source_system, source_entity, source_id`;
const pairText = (r: Row) => `${r.source_system}:${r.source_entity}:${r.source_id} > ${r.target_system}:${r.target_entity}:${r.target_id}`;

async function backfill(entity: GoLiveEntity, apply: boolean, decisions?: Parameters<typeof runBackfill>[2]["decisions"]): Promise<Report> {
  return runBackfill(ctx, entity, { apply, ...(decisions ? { decisions } : {}) });
}

/** `concord …` as a person runs it: its own process, its exit code and output. */
function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(__dirname, "../../../node_modules/.bin/tsx"), [join(__dirname, "../../../packages/cli/src/main.ts"), ...args], { env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

beforeAll(async () => {
  t = await startTestSystem({ replicas: 1 });
  onec = await seedLegacyOnec(t);
  crm.alpha = await crmCompany(t, "Альфа", { inn: "7701000001", kpp: "770101001" });
  crm.beta = await crmCompany(t, "Бета", { inn: "7702000002", kpp: "770201001" });
  crm.gamma = await crmCompany(t, "Гамма", { inn: "7703000003", kpp: "770301001" });
  crm.soleTrader = await crmCompany(t, "ИП Сидоров А.А.", { inn: "500100732259" });
  crm.delta = await crmCompany(t, "Дельта", { inn: "7704000004", kpp: "770401001" });
  crm.deltaCopy = await crmCompany(t, "Дельта (копия)", { inn: "7704000004", kpp: "770401001" });
  crm.person = await t.b24<number>("crm.contact.add", { fields: { NAME: "Иван", LAST_NAME: "Петров", EMAIL: [{ VALUE: "ivan.petrov@mail.ru", VALUE_TYPE: "WORK" }] } });
  // The 1C sandbox holds SKU-001 … SKU-012; the CRM two of them and a service without an article.
  crm.chair = await t.b24<number>("crm.product.add", { fields: { NAME: "Стул", XML_ID: "SKU-001", PRICE: 500 } });
  crm.table = await t.b24<number>("crm.product.add", { fields: { NAME: "Стол", XML_ID: "SKU-002", PRICE: 600 } });
  crm.service = await t.b24<number>("crm.product.add", { fields: { NAME: "Доставка", PRICE: 300 } });
  await waitQuiet(t);

  env = {
    PATH: process.env.PATH,
    NATS_URL: t.config.natsUrl,
    CONCORD_NAMESPACE: t.config.namespace,
    DATABASE_URL: t.config.databaseUrl,
    DATABASE_SCHEMA: t.config.databaseSchema,
    B24_WEBHOOK_URL: bitrix24WebhookBase(t.config),
    B24_RATE_PER_SEC: "500",
    B24_RATE_BURST: "1000",
    ONEC_ODATA_URL: onecServiceRoot(t.config),
    ONEC_USER: t.config.secrets.onecUser,
    ONEC_PASSWORD: t.config.secrets.onecPassword,
    ONEC_RATE_PER_SEC: "500",
    ONEC_RATE_BURST: "1000",
    GO_LIVE_REPORT_DIR: mkdtempSync(join(tmpdir(), "concord-go-live-")),
  };
  ctx = await contextFromEnv(env, () => undefined);
  const products = await t.onecRecords("Catalog_Номенклатура");
  products1CByArticle = new Map(products.map((p) => [String(p.Артикул), String(p.Ref_Key).toLowerCase()]));
}, 300_000);

afterAll(async () => {
  await ctx?.close();
  await t?.stop();
}, 60_000);

it("dry-run: links by inverse ids and business keys only what is certain, reports the rest on each side, writes nothing", async () => {
  const onecWrites = await t.onecAdmin<{ sets: Record<string, { writes: number }> }>("stats");
  const customers = await backfill("customers", false);
  const pairs = Object.fromEntries(customers.results.pairs.map((p) => [`${p.source.entity}:${p.source.id}`, `${p.target.id} ${p.by}`]));
  expect(pairs).toEqual({
    [`company:${crm.alpha}`]: `${ref(onec.alpha)} match:innKpp`,
    [`company:${crm.soleTrader}`]: `${ref(onec.soleTrader)} match:inn`,
    [`contact:${crm.person}`]: `${ref(onec.person)} match:email`,
  });
  const ambiguous = Object.fromEntries(customers.results.ambiguous.map((a) => [a.source.id, a.reason]));
  expect(ambiguous).toEqual({
    [String(crm.beta)]: "2 records share the same innKpp",
    [String(crm.delta)]: `2 CRM records match the same 1C counterparty (Bitrix24 company ${crm.delta}, Bitrix24 company ${crm.deltaCopy})`,
    [String(crm.deltaCopy)]: `2 CRM records match the same 1C counterparty (Bitrix24 company ${crm.delta}, Bitrix24 company ${crm.deltaCopy})`,
  });
  expect(customers.results.ambiguous.find((a) => a.source.id === String(crm.beta))?.candidates.map((c) => c.id).sort()).toEqual([ref(onec.beta1), ref(onec.beta2)].sort());
  expect(customers.results.unmatched.bitrix24.map((u) => u.ref.id)).toEqual([String(crm.gamma)]);
  expect(customers.results.unmatched.onec.map((u) => u.ref.id)).toEqual([ref(onec.gammaBranch)]);

  const products = await backfill("products", false);
  expect(products.results.pairs.map((p) => `${p.target.id} ${p.by}`).sort()).toEqual([`${crm.chair} article`, `${crm.table} article`]);
  expect(products.results.unmatched.bitrix24).toEqual([expect.objectContaining({ ref: expect.objectContaining({ id: String(crm.service) }), note: expect.stringContaining("no article") })]);
  expect(products.results.unmatched.onec).toHaveLength(10);

  expect(await table()).toEqual([]);
  expect(await t.onecAdmin("stats")).toMatchObject({ sets: { [COUNTERPARTY_SET]: { writes: onecWrites.sets[COUNTERPARTY_SET]?.writes ?? 0 } } });
});

it("--apply writes the certain pairs and people's decisions, marks the 1C records, opens a decision for the rest; a second --apply changes nothing", async () => {
  const decisions = [
    { source: { system: "bitrix24" as const, entity: "company" as const, id: String(crm.beta) }, action: "link" as const, candidate: ref(onec.beta2), reason: "the live one", line: 2 },
    { source: { system: "bitrix24" as const, entity: "company" as const, id: String(crm.delta) }, action: "link" as const, candidate: ref(onec.delta), reason: null, line: 3 },
  ];
  const first = await backfill("customers", true, decisions);
  expect(first.applied.filter((a) => a.outcome.startsWith("linked"))).toHaveLength(3);
  expect(first.applied.find((a) => a.source === `bitrix24:company:${crm.beta}`)?.outcome).toMatch(/^decision \d+: linked to /);
  expect(first.applied.find((a) => a.source === `bitrix24:company:${crm.deltaCopy}`)?.outcome).toMatch(/^decision \d+ opened/);
  await backfill("products", true);
  await waitQuiet(t);

  const rows = await table();
  expect(rows.filter((r) => r.state === "confirmed").map((r) => `${pairText(r)} ${r.created_by}`).sort()).toEqual(
    [
      `bitrix24:company:${crm.alpha} > onec:counterparty:${ref(onec.alpha)} backfill`,
      `bitrix24:company:${crm.soleTrader} > onec:counterparty:${ref(onec.soleTrader)} backfill`,
      `bitrix24:contact:${crm.person} > onec:counterparty:${ref(onec.person)} backfill`,
      `bitrix24:company:${crm.beta} > onec:counterparty:${ref(onec.beta2)} backfill:decision`,
      `bitrix24:company:${crm.delta} > onec:counterparty:${ref(onec.delta)} backfill:decision`,
      `onec:product:${products1C("SKU-001")} > bitrix24:product:${crm.chair} backfill`,
      `onec:product:${products1C("SKU-002")} > bitrix24:product:${crm.table} backfill`,
    ].sort(),
  );
  // The ambiguous copy waits for a person, as the live flow would have it: nothing was created.
  expect(rows.find((r) => r.source_id === String(crm.deltaCopy))).toMatchObject({ state: "claimed", target_id: null, decision: "awaiting" });
  const counterparties = await t.onecRecords(COUNTERPARTY_SET);
  const marker = (r: Rec) => markerOf(counterparties.find((c) => String(c.Ref_Key).toLowerCase() === ref(r)) as Rec);
  expect([marker(onec.alpha), marker(onec.beta2), marker(onec.person), marker(onec.beta1)]).toEqual([`concord:bitrix24:company:${crm.alpha}`, `concord:bitrix24:company:${crm.beta}`, `concord:bitrix24:contact:${crm.person}`, null]);
  expect(await ctx.state.getJson("backfill.customers")).toMatchObject({ value: { status: "applied" } });

  // Twice: not a row, not a record written again.
  const stats = await t.onecAdmin<{ sets: Record<string, { writes: number }> }>("stats");
  const second = await backfill("customers", true);
  await backfill("products", true);
  await waitQuiet(t);
  expect(second.results.pairs).toEqual([]);
  expect(second.results.alreadyMapped).toBe(5);
  expect(second.applied.filter((a) => !a.outcome.startsWith("left alone") && !a.outcome.startsWith("decision"))).toEqual([]);
  expect(await table()).toEqual(rows);
  expect((await t.onecAdmin<{ sets: Record<string, { writes: number }> }>("stats")).sets[COUNTERPARTY_SET]?.writes).toBe(stats.sets[COUNTERPARTY_SET]?.writes);
});

it("a backfill killed halfway resumes where it stopped and ends with the mapping an uninterrupted run writes", async () => {
  // Products of this test's own: 1C holds 12 and more, read three per page; the first run dies after two pages.
  await t.sql`delete from id_mapping where source_entity = 'product'`;
  const expected = (await backfill("products", false)).results.pairs.map((p) => `onec:product:${p.source.id} > bitrix24:product:${p.target.id}`).sort();
  expect(expected).toHaveLength(2);

  const killed = await cli(["backfill", "--entity", "products", "--apply"], { GO_LIVE_ONEC_PAGE_SIZE: "3", GO_LIVE_TEST_KILL_AFTER_PAGES: "2" });
  // tsx runs the CLI in a child process and passes its death on: SIGKILL, or exit code 137.
  expect({ died: killed.signal === "SIGKILL" || killed.code === 137, stderr: killed.stderr.slice(-500) }).toMatchObject({ died: true });
  const [run] = await t.sql<Array<{ id: number; status: string; finished_at: Date | null; checkpoint: Record<string, { read: number; done: boolean }> }>>`select id, status, finished_at, checkpoint from go_live_runs where kind = 'backfill' and entity = 'products' order by id desc limit 1`;
  expect(run).toMatchObject({ status: "reading", finished_at: null });
  expect(run?.checkpoint["onec.product"]).toMatchObject({ read: 3, done: false });

  const resumed = await cli(["backfill", "--entity", "products", "--apply"], { GO_LIVE_ONEC_PAGE_SIZE: "3" });
  expect(resumed).toMatchObject({ code: 0 });
  expect(resumed.stderr).toContain(`resuming run ${run?.id}`);
  expect(resumed.stdout).toContain(`backfill products (run ${run?.id}, applied)`);
  const rows = (await table()).filter((r) => r.source_entity === "product");
  expect(rows.map(pairText).sort()).toEqual(expected);
  expect(rows.every((r) => r.state === "confirmed" && r.created_by === "backfill")).toBe(true);
});

it("after the mapping rows are deleted, rebuild restores every confirmed pair from the inverse ids, and verify finds no difference", async () => {
  // A deal the live flow takes to 1C over the backfilled pair (B24-D-<deal> on the order, ORIGIN_ID on the deal).
  const deal = await t.b24<number>("crm.deal.add", { fields: { TITLE: "Мебель для Альфы", COMPANY_ID: crm.alpha, STAGE_ID: "EXECUTING" } });
  await t.b24("crm.deal.productrows.set", { id: deal, rows: [{ PRODUCT_ID: crm.chair, PRICE: 500, QUANTITY: 2 }] });
  const [order] = await waitFor(async () => {
    const found = await ordersOfDeal(t, String(deal));
    return found.length > 0 ? found : undefined;
  }, { timeoutMs: 60_000, what: "the deal's 1C order" });
  expect(order?.Контрагент_Key).toBe(onec.alpha.Ref_Key);
  await waitFor(async () => ((await t.b24<Rec>("crm.deal.get", { id: deal })).ORIGIN_ID ? true : undefined), { timeoutMs: 30_000, what: "the deal's link-back" });
  await waitQuiet(t);

  const before = (await table()).filter((r) => r.state === "confirmed");
  expect(before.map(pairText)).toContain(`bitrix24:deal:${deal} > onec:order:${ref(order as Rec)}`);
  for (const entity of ["customers", "products", "orders"] as const) expect((await runVerify(ctx, entity)).results.disagreements).toEqual([]);

  await t.sql`delete from decisions`;
  await t.sql`delete from conflicts`;
  await t.sql`delete from sync_state`;
  await t.sql`delete from id_mapping`;
  const dry = await runRebuild(ctx, "customers", { apply: false });
  expect(dry.results.pairs).toHaveLength(5);
  expect(await table()).toEqual([]);
  for (const entity of ["customers", "products", "orders"] as const) await runRebuild(ctx, entity, { apply: true });

  const after = await table();
  expect(after.map(pairText).sort()).toEqual(before.map(pairText).sort());
  expect(after.every((r) => r.state === "confirmed" && r.created_by === "rebuild")).toBe(true);
  for (const entity of ["customers", "products", "orders"] as const) expect((await runVerify(ctx, entity)).results.disagreements).toEqual([]);

  // A row that disagrees with the records is reported, and the CLI exits 1.
  await t.sql`update id_mapping set target_id = ${ref(onec.beta1)} where target_id = ${ref(onec.beta2)}`;
  const verify = await cli(["mapping", "verify", "--entity", "customers"]);
  expect(verify.code).toBe(1);
  expect(verify.stderr).toContain("mapping verify: 1 disagreement(s)");
  expect(verify.stdout).toContain(`the table maps Bitrix24 company ${crm.beta} → 1C counterparty ${ref(onec.beta1)}`);
  await t.sql`update id_mapping set target_id = ${ref(onec.beta2)} where target_id = ${ref(onec.beta1)}`;
  dealOfAlpha = { deal, order: ref(order as Rec) };
});

let dealOfAlpha: { deal: number; order: string };

it("drift made behind Concord's back is reported by reconcile and healed by --heal, once", async () => {
  const before = await runReconcile(ctx, "orders", { heal: false });
  expect(before).toMatchObject({ checked: 1, drifted: [], unreadable: [] });

  // The CRM's event of this edit is lost (Bitrix24 events are at most once; the sweeps are off here).
  const handlers = await t.b24Admin<Array<{ url: string }>>("event-handlers");
  const put = (url: string | null) => t.b24Admin("event-handlers", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ url }) });
  await put(null);
  await t.b24("crm.deal.update", { id: dealOfAlpha.deal, fields: { TITLE: "Мебель для Альфы, второй этаж" } });
  await put(handlers[0]?.url ?? null);
  await waitQuiet(t);
  expect((await onecOrder(t, dealOfAlpha.order)).Комментарий).not.toBe("Мебель для Альфы, второй этаж");

  const drift = await runReconcile(ctx, "orders", { heal: false });
  expect(drift.drifted).toEqual([expect.objectContaining({ source: { system: "bitrix24", entity: "deal", id: String(dealOfAlpha.deal) }, fields: [expect.objectContaining({ field: "title", crm: "Мебель для Альфы, второй этаж", write: "to 1C" })] })]);
  expect((await runReconcile(ctx, "customers", { heal: false })).drifted).toEqual([]);

  const writes = async () => (await t.onecAdmin<{ sets: Record<string, { writes: number }> }>("stats")).sets[ORDER_SET]?.writes ?? 0;
  const writesBefore = await writes();
  const healed = await runReconcile(ctx, "orders", { heal: true });
  expect(healed.healed).toHaveLength(1);
  await waitFor(async () => ((await onecOrder(t, dealOfAlpha.order)).Комментарий === "Мебель для Альфы, второй этаж" ? true : undefined), { timeoutMs: 60_000, what: "the healed 1C order" });
  await waitQuiet(t);
  expect(await writes()).toBe(writesBefore + 1);
  expect((await runReconcile(ctx, "orders", { heal: false })).drifted).toEqual([]);
  const last = await cli(["reconcile", "--entity", "orders", "--last"]);
  expect(last).toMatchObject({ code: 0 });
  expect(last.stdout).toContain("1 pairs checked, 0 drifted");
});
