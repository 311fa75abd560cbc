import { connectDb, migrateDb, type DbHandle } from "@concord/db";
import { testDatabaseUrl, uniqueNamespace } from "@concord/testkit";
import { createDecisionStore } from "./decisions";
import { createMappingStore, type MappingStore } from "./store";

const schema = uniqueNamespace("map_");
let handle: DbHandle;
let store: MappingStore;

beforeAll(async () => {
  await migrateDb(testDatabaseUrl(), schema);
  handle = connectDb(testDatabaseUrl(), schema, 16);
  store = createMappingStore(handle.db);
});

afterAll(async () => {
  await handle.sql.unsafe(`drop schema if exists "${schema}" cascade`);
  await handle.close();
});

const claimDeal = (id: string) =>
  store.claim({ source: { system: "bitrix24", entity: "deal", id }, targetSystem: "onec", targetEntity: "order", createdBy: "flow" });

it("gives exactly one winner per key to 32 concurrent claimers, and the others the winner's row", async () => {
  for (const key of ["1", "2", "3"]) {
    const results = await Promise.all(Array.from({ length: 32 }, () => claimDeal(key)));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    expect(new Set(results.map((r) => r.mapping.id)).size).toBe(1);
  }
  const rows = await handle.sql`select count(*)::int as n from id_mapping`;
  expect(rows[0]?.n).toBe(3);
});

it("confirms idempotently, refuses a second target, and resolves in both directions", async () => {
  const { mapping } = await claimDeal("10");
  expect(mapping.state).toBe("claimed");
  const confirmed = await store.confirm(mapping.id, "ref-10");
  expect(confirmed).toMatchObject({ state: "confirmed", targetId: "ref-10" });
  await expect(store.confirm(mapping.id, "ref-10")).resolves.toMatchObject({ targetId: "ref-10" });
  await expect(store.confirm(mapping.id, "ref-other")).rejects.toMatchObject({ code: "MAPPING_CONFLICT", kind: "permanent" });
  const other = await claimDeal("11");
  await expect(store.confirm(other.mapping.id, "ref-10")).rejects.toMatchObject({ code: "TARGET_ALREADY_MAPPED" });
  await expect(store.resolve({ system: "onec", entity: "order", id: "ref-10" }, "bitrix24")).resolves.toMatchObject({ sourceId: "10" });
  await expect(store.resolve({ system: "bitrix24", entity: "deal", id: "10" }, "onec")).resolves.toMatchObject({ targetId: "ref-10" });
  // Claiming from the other side finds the same pair instead of creating a mirror row.
  const reverse = await store.claim({ source: { system: "onec", entity: "order", id: "ref-10" }, targetSystem: "bitrix24", targetEntity: "deal", createdBy: "flow" });
  expect(reverse).toMatchObject({ claimed: false, mapping: { id: mapping.id } });
});

it("leases a pair to one owner at a time until release or expiry", async () => {
  const { mapping } = await claimDeal("20");
  expect((await store.lease(mapping.id, "a", 60_000)).acquired).toBe(true);
  expect((await store.lease(mapping.id, "b", 60_000)).acquired).toBe(false);
  expect((await store.lease(mapping.id, "a", 60_000)).acquired).toBe(true); // renewal
  expect((await store.release(mapping.id, "b")).released).toBe(false);
  expect((await store.release(mapping.id, "a")).released).toBe(true);
  expect((await store.lease(mapping.id, "b", 1_000)).acquired).toBe(true);
  await new Promise((r) => setTimeout(r, 1_100));
  expect((await store.lease(mapping.id, "c", 60_000)).acquired).toBe(true); // b's lease expired
});

it("records sync state by compare-and-set on the last hash", async () => {
  const { mapping } = await claimDeal("30");
  await expect(store.recordState(mapping.id, "onec", "v1", "h1", null)).resolves.toMatchObject({ recorded: true });
  await expect(store.recordState(mapping.id, "onec", "v1", "h1", null)).resolves.toMatchObject({ recorded: false });
  await expect(store.recordState(mapping.id, "onec", "v2", "h2", "stale")).resolves.toMatchObject({ recorded: false, state: { lastHash: "h1" } });
  await expect(store.recordState(mapping.id, "onec", "v2", "h2", "h1")).resolves.toMatchObject({ recorded: true, state: { lastHash: "h2", lastVersion: "v2" } });
  await expect(store.getState(mapping.id, "bitrix24")).resolves.toBeNull();
});

it("soft-deletes a pair, keeping the row and its timestamps, and records conflicts once", async () => {
  const { mapping } = await claimDeal("40");
  await store.confirm(mapping.id, "ref-40");
  const deleted = await store.markDeleted(mapping.id);
  expect(deleted).toMatchObject({ state: "deleted", targetId: "ref-40", createdAt: mapping.createdAt });
  expect(deleted.deletedAt).not.toBeNull();
  await expect(store.resolve({ system: "bitrix24", entity: "deal", id: "40" }, "onec")).resolves.toMatchObject({ state: "deleted" });
  const conflict = { mappingId: mapping.id, entity: "order" as const, field: "title", crmValue: "A", onecValue: "B", winner: "bitrix24" as const, rule: "ownership.order.title = crm", messageId: "m1", traceId: null };
  expect(await store.recordConflicts([conflict])).toBe(1);
  expect(await store.recordConflicts([conflict])).toBe(0);
  const rows = await handle.sql`select field, crm_value, onec_value, winner from conflicts where mapping_id = ${mapping.id}`;
  expect(rows).toEqual([{ field: "title", crm_value: "A", onec_value: "B", winner: "bitrix24" }]);
});

it("pairs two records once when each direction claimed one of them and found the other by its keys", async () => {
  const company = { system: "bitrix24" as const, entity: "company" as const, id: "11" };
  const counterparty = { system: "onec" as const, entity: "counterparty" as const, id: "c8f366e5-cc35-4f7e-b9b8-aafbbbbb55d6" };
  const fromCrm = (await store.claim({ source: company, targetSystem: "onec", targetEntity: "counterparty", createdBy: "flow" })).mapping;
  const from1c = (await store.claim({ source: counterparty, targetSystem: "bitrix24", targetEntity: "company", createdBy: "flow" })).mapping;
  // Both confirm at once: one wins, the other is refused (retryable), whichever order the database takes them in.
  const results = await Promise.allSettled([store.confirm(fromCrm.id, counterparty.id, undefined, "match:innKpp"), store.confirm(from1c.id, company.id, undefined, "match:innKpp")]);
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  const refused = results.find((r) => r.status === "rejected");
  expect(refused?.status === "rejected" && refused.reason).toMatchObject({ code: "PAIRED_THE_OTHER_WAY", kind: "retryable" });
  const winner = results[0]?.status === "fulfilled" ? fromCrm.id : from1c.id;
  await expect(store.resolve(company, "onec")).resolves.toMatchObject({ id: winner, state: "confirmed" });
  await expect(store.resolve(counterparty, "bitrix24")).resolves.toMatchObject({ id: winner, state: "confirmed" });
  const [{ n } = { n: -1 }] = await handle.sql<Array<{ n: number }>>`select count(*)::int as n from id_mapping where state = 'confirmed' and (source_id in (${company.id}, ${counterparty.id}) or target_id in (${company.id}, ${counterparty.id}))`;
  expect(n).toBe(1);
});

it("settles one identity claimed from both sides: the link supersedes the other claim's decision, and both ends resolve to it", async () => {
  const decisions = createDecisionStore(handle.db);
  const x = { system: "onec" as const, entity: "counterparty" as const, id: "5a1c4f9e-0000-4000-8000-0000000000a1" };
  const claimX = () => store.claim({ source: x, targetSystem: "bitrix24", targetEntity: "company", createdBy: "flow" });
  // 1C counterparty X's first order asked a person (two CRM companies have its keys) ...
  const ofX = (await claimX()).mapping;
  const candidates = [{ id: "7", label: "company 7", keys: ["innKpp"], linkedTo: null }, { id: "18", label: "company 18", keys: ["innKpp"], linkedTo: null }];
  const { decision } = await decisions.open({ mappingId: ofX.id, summary: "ООО Икс", reason: "2 records share the same innKpp", candidates });
  await decisions.decide({ id: decision.id, action: "link", candidateId: "18", actor: "anna" });
  // ... and company 7's first deal linked X by its keys before that decision was applied.
  const of7 = (await store.claim({ source: { system: "bitrix24", entity: "company", id: "7" }, targetSystem: "onec", targetEntity: "counterparty", createdBy: "flow" })).mapping;
  await store.confirm(of7.id, x.id, undefined, "match:innKpp");
  await expect(decisions.get(decision.id)).resolves.toMatchObject({ status: "superseded", supersededBy: of7.id, action: "link", chosenId: "18", decidedBy: "anna" });
  await expect(store.resolve(x, "bitrix24")).resolves.toMatchObject({ id: of7.id, state: "confirmed" });
  await expect(claimX()).resolves.toMatchObject({ claimed: false, mapping: { id: of7.id } });
  const [own] = await handle.sql<Array<{ decision: string | null }>>`select decision from id_mapping where id = ${ofX.id}`;
  expect(own?.decision).toBeNull();

  // A person's ignore stands; an open decision is closed and refused afterwards.
  const y = { system: "onec" as const, entity: "counterparty" as const, id: "5a1c4f9e-0000-4000-8000-0000000000a2" };
  const z = { ...y, id: "5a1c4f9e-0000-4000-8000-0000000000a3" };
  const ofY = (await store.claim({ source: y, targetSystem: "bitrix24", targetEntity: "company", createdBy: "flow" })).mapping;
  const ofZ = (await store.claim({ source: z, targetSystem: "bitrix24", targetEntity: "company", createdBy: "flow" })).mapping;
  const ignored = (await decisions.open({ mappingId: ofY.id, summary: "Y", reason: "r", candidates })).decision;
  await decisions.decide({ id: ignored.id, action: "ignore", actor: "anna" });
  const open = (await decisions.open({ mappingId: ofZ.id, summary: "Z", reason: "r", candidates })).decision;
  for (const [company, ref] of [["8", y.id], ["9", z.id]] as const) {
    const pair = (await store.claim({ source: { system: "bitrix24", entity: "company", id: company }, targetSystem: "onec", targetEntity: "counterparty", createdBy: "flow" })).mapping;
    await store.confirm(pair.id, ref);
  }
  await expect(decisions.get(ignored.id)).resolves.toMatchObject({ status: "decided", action: "ignore" });
  await expect(decisions.get(open.id)).resolves.toMatchObject({ status: "superseded" });
  await expect(decisions.decide({ id: open.id, action: "create", actor: "anna" })).rejects.toMatchObject({ code: "DECISION_CLOSED", message: expect.stringContaining("superseded") });
});
