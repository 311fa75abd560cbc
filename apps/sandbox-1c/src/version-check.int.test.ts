import { VERSION_CHECK_ATTRIBUTE } from "./metadata";
import { odata, startSandbox, type RunningSandbox } from "./testing";

/** Concord's optional 1C extension: a PATCH carrying the DataVersion it read is refused when stale. */

const ORDERS = "Document_ЗаказКлиента";
const COUNTERPARTIES = "Catalog_Контрагенты";
const STALE = "AAAAAAAAAAA=";

let sb: RunningSandbox;

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await sb.stop();
});
beforeEach(async () => {
  await fetch(`${sb.origin}/admin/reset`, { method: "POST" });
  await setExtension(false);
});

async function setExtension(versionCheck: unknown): Promise<Response> {
  return fetch(`${sb.origin}/admin/extension`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ versionCheck }) });
}

async function adminWrites(set: string): Promise<number> {
  const stats = (await (await fetch(`${sb.origin}/admin/stats`)).json()) as { sets: Record<string, { writes: number; adminWrites: number }> };
  return (stats.sets[set]?.writes ?? 0) + (stats.sets[set]?.adminWrites ?? 0);
}

/** An object edited once since creation, so DataVersion AAAAAAAAAAA= is stale. */
async function editedOnce(set: string): Promise<{ ref: string; current: string }> {
  const created = await odata(sb.root, "POST", `${set}?$format=json`, { Description: "ООО Ромашка", Комментарий: "создан" });
  const ref = created.json.Ref_Key as string;
  const edited = await fetch(`${sb.origin}/admin/records/${encodeURIComponent(set)}/${ref}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ Комментарий: "менеджер" }),
  });
  const json = (await edited.json()) as { DataVersion: string };
  expect(json.DataVersion).toBe("AAAAAAAAAAE=");
  return { ref, current: json.DataVersion };
}

test("off (the default): the attribute is unknown, silently ignored, absent from $metadata", async () => {
  expect(await (await fetch(`${sb.origin}/admin/extension`)).json()).toEqual({ versionCheck: false });
  const metadata = await odata(sb.root, "GET", "$metadata");
  expect(metadata.text).not.toContain(VERSION_CHECK_ATTRIBUTE);
  const { ref } = await editedOnce(ORDERS);
  const r = await odata(sb.root, "PATCH", `${ORDERS}(guid'${ref}')?$format=json`, { Комментарий: "Concord", [VERSION_CHECK_ATTRIBUTE]: STALE });
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ Комментарий: "Concord", DataVersion: "AAAAAAAAAAI=" });
  expect(r.json[VERSION_CHECK_ATTRIBUTE]).toBeUndefined();
});

test.each([ORDERS, COUNTERPARTIES])("on: a stale expected version is refused for %s, nothing written, no notification", async (set) => {
  expect((await setExtension(true)).status).toBe(200);
  const metadata = await odata(sb.root, "GET", "$metadata");
  expect(metadata.text).toContain(`<Property Name="${VERSION_CHECK_ATTRIBUTE}" Type="Edm.String"/>`);
  const { ref, current } = await editedOnce(set);
  const writesBefore = await adminWrites(set);

  const r = await odata(sb.root, "PATCH", `${set}(guid'${ref}')?$format=json`, { Комментарий: "Concord", [VERSION_CHECK_ATTRIBUTE]: STALE });
  expect([r.status, r.json["odata.error"].code]).toEqual([500, "-1"]);
  const message = r.json["odata.error"].message.value as string;
  expect(message.startsWith("Concord: объект изменён после чтения")).toBe(true);
  expect(message).toContain(STALE);
  expect(message).toContain(current);

  const after = await odata(sb.root, "GET", `${set}(guid'${ref}')?$format=json`);
  expect(after.json).toMatchObject({ Комментарий: "менеджер", DataVersion: current, [VERSION_CHECK_ATTRIBUTE]: "" });
  expect(await adminWrites(set)).toBe(writesBefore);
});

test("on: the current version is accepted, and the attribute is never stored", async () => {
  await setExtension(true);
  const { ref, current } = await editedOnce(ORDERS);
  const r = await odata(sb.root, "PATCH", `${ORDERS}(guid'${ref}')?$format=json`, { Комментарий: "Concord", [VERSION_CHECK_ATTRIBUTE]: current });
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ Комментарий: "Concord", DataVersion: "AAAAAAAAAAI=", [VERSION_CHECK_ATTRIBUTE]: "" });
  const after = await odata(sb.root, "GET", `${ORDERS}(guid'${ref}')?$format=json`);
  expect(after.json[VERSION_CHECK_ATTRIBUTE]).toBe("");
  // An empty value and a PATCH without it are not checked.
  const plain = await odata(sb.root, "PATCH", `${ORDERS}(guid'${ref}')?$format=json`, { Комментарий: "ещё", [VERSION_CHECK_ATTRIBUTE]: "" });
  expect(plain.status).toBe(200);
  // A new object has no version to compare with: the value is dropped.
  const created = await odata(sb.root, "POST", `${COUNTERPARTIES}?$format=json`, { Description: "Новый", [VERSION_CHECK_ATTRIBUTE]: STALE });
  expect([created.status, created.json[VERSION_CHECK_ATTRIBUTE]]).toEqual([201, ""]);
});

test("PUT /admin/extension validates its body; ONEC_SANDBOX_VERSION_CHECK=1 installs it at start", async () => {
  expect((await setExtension("yes")).status).toBe(400);
  const configured = await startSandbox({ versionCheck: true });
  try {
    expect(await (await fetch(`${configured.origin}/admin/extension`)).json()).toEqual({ versionCheck: true });
    const created = await odata(configured.root, "POST", `${ORDERS}?$format=json`, { Комментарий: "x" });
    const r = await odata(configured.root, "PATCH", `${ORDERS}(guid'${created.json.Ref_Key}')?$format=json`, { [VERSION_CHECK_ATTRIBUTE]: "AAAAAAAAAAk=" });
    expect(r.status).toBe(500);
  } finally {
    await configured.stop();
  }
});
