import { startTestSandbox, type TestSandbox } from "./testing";

let t: TestSandbox;

beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(async () => {
  await t.stop();
});
beforeEach(async () => {
  await t.admin("POST", "/reset");
});

const addCompany = async (title: string): Promise<number> =>
  (await t.call("crm.company.add", { fields: { TITLE: title } })).body.result as number;

describe("crm.requisite.*", () => {
  it("add/get/update/delete with the crm.requisite.get shape", async () => {
    const company = await addCompany("1C-Bitrix");
    const add = await t.call("crm.requisite.add", {
      fields: {
        ENTITY_TYPE_ID: 4, ENTITY_ID: company, PRESET_ID: 1, NAME: "Организация",
        RQ_INN: "7717586110", RQ_KPP: "770501001", RQ_OGRN: "5077746476209", RQ_COMPANY_NAME: 'ООО "1С-БИТРИКС"',
        XML_ID: "5e4641fd-1dd9-11e6-b2f2-005056c00008", DATE_CREATE: "2001-01-01T00:00:00+03:00", UNKNOWN_FIELD: "x",
      },
    });
    expect(add.status).toBe(200);
    expect(typeof add.body.result).toBe("number");
    const id = add.body.result as number;

    const got = (await t.call("crm.requisite.get", { id })).body.result as Record<string, unknown>;
    expect(got).toMatchObject({
      ID: String(id), ENTITY_TYPE_ID: "4", ENTITY_ID: String(company), PRESET_ID: "1", DATE_MODIFY: "",
      CREATED_BY_ID: "1", MODIFY_BY_ID: null, NAME: "Организация", CODE: null,
      XML_ID: "5e4641fd-1dd9-11e6-b2f2-005056c00008", ACTIVE: "Y", ADDRESS_ONLY: "N", SORT: "500",
      RQ_NAME: null, RQ_INN: "7717586110", RQ_KPP: "770501001", RQ_OGRN: "5077746476209",
      RQ_COMPANY_NAME: 'ООО "1С-БИТРИКС"', RQ_VAT_PAYER: "N",
    });
    expect(got.DATE_CREATE).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+03:00$/);
    expect(got.DATE_CREATE).not.toBe("2001-01-01T00:00:00+03:00");
    expect(got).not.toHaveProperty("UNKNOWN_FIELD");
    // Field order as in the vendor example.
    expect(Object.keys(got).slice(0, 9)).toEqual([
      "ID", "ENTITY_TYPE_ID", "ENTITY_ID", "PRESET_ID", "DATE_CREATE", "DATE_MODIFY", "CREATED_BY_ID", "MODIFY_BY_ID", "NAME",
    ]);
    expect(Object.keys(got)).toHaveLength(75);

    expect((await t.call("crm.requisite.update", { id, fields: { RQ_KPP: "770501002", ENTITY_ID: 999 } })).body.result).toBe(true);
    const updated = (await t.call("crm.requisite.get", { id })).body.result as Record<string, unknown>;
    expect(updated).toMatchObject({ RQ_KPP: "770501002", ENTITY_ID: String(company), MODIFY_BY_ID: "1" });
    expect(updated.DATE_MODIFY).toMatch(/\+03:00$/);

    expect((await t.call("crm.requisite.delete", { id })).body.result).toBe(true);
    for (const r of [
      await t.call("crm.requisite.get", { id }),
      await t.call("crm.requisite.update", { id, fields: { NAME: "x" } }),
      await t.call("crm.requisite.delete", { id }),
    ]) {
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: "", error_description: "Not found" });
    }
  });

  it("add refuses a bad owner type, owner id, preset or a missing owner", async () => {
    const company = await addCompany("Co");
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ENTITY_TYPE_ID: 2, ENTITY_ID: company, PRESET_ID: 1 }, "ENTITY_TYPE_ID is not defined or invalid."],
      [{ ENTITY_TYPE_ID: 4, PRESET_ID: 1 }, "ENTITY_ID is not defined or invalid."],
      [{ ENTITY_TYPE_ID: 4, ENTITY_ID: company, PRESET_ID: 99 }, "PRESET_ID is not defined or invalid."],
      [{ ENTITY_TYPE_ID: 3, ENTITY_ID: company, PRESET_ID: 3 }, "Entity not found."],
    ];
    for (const [fields, text] of cases) {
      const r = await t.call("crm.requisite.add", { fields: { NAME: "x", ...fields } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: "", error_description: text });
    }
    expect((await t.admin("GET", "/records/requisite")).body).toEqual([]);
  });

  it("list filters by RQ_INN / ENTITY_TYPE_ID / ENTITY_ID, selects, orders and pages like the other lists", async () => {
    const a = await addCompany("A");
    const b = await addCompany("B");
    const contact = (await t.call("crm.contact.add", { fields: { NAME: "Ivan" } })).body.result as number;
    const add = (fields: Record<string, unknown>) => t.call("crm.requisite.add", { fields: { PRESET_ID: 1, NAME: "R", ...fields } });
    await add({ ENTITY_TYPE_ID: 4, ENTITY_ID: a, RQ_INN: "7701000001" });
    await add({ ENTITY_TYPE_ID: 4, ENTITY_ID: b, RQ_INN: "7701000002" });
    await add({ ENTITY_TYPE_ID: 3, ENTITY_ID: contact, PRESET_ID: 3, RQ_INN: "7701000002" });

    const byInn = await t.call("crm.requisite.list", {
      filter: { RQ_INN: "7701000002", ENTITY_TYPE_ID: 4 },
      select: ["ENTITY_ID", "RQ_INN"],
    });
    expect(byInn.body.result).toEqual([{ ENTITY_ID: String(b), RQ_INN: "7701000002" }]);
    expect(byInn.body.total).toBe(1);
    expect(byInn.body).not.toHaveProperty("next");

    const ofContact = await t.call("crm.requisite.list", { filter: { ENTITY_TYPE_ID: 3, ENTITY_ID: contact }, select: ["ID", "PRESET_ID"] });
    expect(ofContact.body.result).toEqual([{ ID: "3", PRESET_ID: "3" }]);

    const ordered = await t.call("crm.requisite.list", { order: { ID: "DESC" }, select: ["ID"] });
    expect((ordered.body.result as Array<{ ID: string }>).map((r) => r.ID)).toEqual(["3", "2", "1"]);

    // The form encoding a PHP client sends works too.
    const form = await t.callForm("crm.requisite.list", "filter[RQ_INN]=7701000001&select[]=ENTITY_ID");
    expect(form.body.result).toEqual([{ ENTITY_ID: String(a) }]);

    for (let i = 0; i < 50; i++) await add({ ENTITY_TYPE_ID: 4, ENTITY_ID: a, RQ_INN: `5000${i}` });
    const page1 = await t.call("crm.requisite.list", { select: ["ID"] });
    expect((page1.body.result as unknown[]).length).toBe(50);
    expect(page1.body.next).toBe(50);
    expect(page1.body.total).toBe(53);
  });

  it("admin records include requisites; deleting the company deletes them; no company event is fired", async () => {
    const company = await addCompany("Co");
    await t.admin("DELETE", "/events");
    const id = (await t.call("crm.requisite.add", { fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: company, PRESET_ID: 1, NAME: "R", RQ_INN: "1" } })).body
      .result as number;
    await t.call("crm.requisite.update", { id, fields: { RQ_KPP: "2" } });
    const records = (await t.admin("GET", "/records/requisite")).body;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ ID: String(id), RQ_INN: "1", RQ_KPP: "2" });
    expect((await t.admin("GET", `/records/requisite/${id}`)).body.RQ_INN).toBe("1");
    expect((await t.admin("GET", "/stats")).body.writes.requisite).toEqual({ adds: 1, updates: 1, deletes: 0, productRowsSet: 0 });
    // Nothing was bound here, so check the offline queue, which records every bound change synchronously.
    await t.call("event.bind", { event: "ONCRMCOMPANYUPDATE", event_type: "offline" });
    await t.call("crm.requisite.update", { id, fields: { RQ_KPP: "3" } });
    expect((await t.admin("GET", "/offline")).body.records).toEqual([]);

    await t.call("crm.company.delete", { id: company });
    expect((await t.admin("GET", "/records/requisite")).body).toEqual([]);
  });

  it("crm.requisite.preset.list returns the standard presets", async () => {
    const r = await t.call("crm.requisite.preset.list", { select: ["ID", "NAME"] });
    expect(r.body.result).toEqual([
      { ID: "1", NAME: "Организация" },
      { ID: "2", NAME: "ИП" },
      { ID: "3", NAME: "Физ. лицо" },
    ]);
    expect(r.body.total).toBe(3);
    const one = await t.call("crm.requisite.preset.list", { filter: { NAME: "ИП" } });
    expect(one.body.result).toEqual([expect.objectContaining({ ID: "2", NAME: "ИП", ENTITY_TYPE_ID: "8", COUNTRY_ID: "1" })]);
  });
});

describe("crm.deal.userfield.*", () => {
  it("add stores a definition (UF_CRM_ prefix added) and list returns it in the vendor shape", async () => {
    const before = (await t.call("crm.deal.add", { fields: { TITLE: "old" } })).body.result as number;
    const add = await t.call("crm.deal.userfield.add", {
      fields: { FIELD_NAME: "ONEC_NUMBER", USER_TYPE_ID: "string", LABEL: "Номер 1С", XML_ID: "ONEC_NUMBER" },
    });
    expect(add.status).toBe(200);
    expect(typeof add.body.result).toBe("number");
    await t.call("crm.deal.userfield.add", { fields: { FIELD_NAME: "UF_ONEC_REF", USER_TYPE_ID: "string" } });

    const list = await t.call("crm.deal.userfield.list", {});
    expect(list.body.total).toBe(2);
    const [first, second] = list.body.result as Array<Record<string, unknown>>;
    expect(first).toMatchObject({
      ID: String(add.body.result), ENTITY_ID: "CRM_DEAL", FIELD_NAME: "UF_CRM_ONEC_NUMBER", USER_TYPE_ID: "string",
      XML_ID: "ONEC_NUMBER", SORT: "100", MULTIPLE: "N", MANDATORY: "N", SHOW_FILTER: "N", SHOW_IN_LIST: "N",
      EDIT_IN_LIST: "Y", IS_SEARCHABLE: "N", EDIT_FORM_LABEL: "Номер 1С", LIST_COLUMN_LABEL: "Номер 1С", LIST_FILTER_LABEL: "Номер 1С",
    });
    expect(first?.SETTINGS).toEqual(expect.objectContaining({ SIZE: 20 }));
    expect(second?.FIELD_NAME).toBe("UF_CRM_ONEC_REF");

    const filtered = await t.call("crm.deal.userfield.list", { filter: { FIELD_NAME: "UF_CRM_ONEC_REF" } });
    expect((filtered.body.result as unknown[]).length).toBe(1);

    // Existing deals now show the field as null; a deal can store it.
    expect((await t.call("crm.deal.get", { id: before })).body.result).toMatchObject({ UF_CRM_ONEC_NUMBER: null });
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "n", UF_CRM_ONEC_NUMBER: "ЗК-000123" } })).body.result as number;
    expect((await t.call("crm.deal.get", { id })).body.result).toMatchObject({ UF_CRM_ONEC_NUMBER: "ЗК-000123" });
    expect((await t.call("crm.deal.fields", {})).body.result).toHaveProperty("UF_CRM_ONEC_NUMBER.type", "string");
    // Any other UF_CRM_* is still accepted without a definition.
    const other = (await t.call("crm.deal.add", { fields: { UF_CRM_ADHOC: "v" } })).body.result as number;
    expect((await t.call("crm.deal.get", { id: other })).body.result).toMatchObject({ UF_CRM_ADHOC: "v" });
  });

  it("add refuses missing or bad names and types, and duplicates", async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ USER_TYPE_ID: "string" }, "The 'FIELD_NAME' field is not found."],
      [{ FIELD_NAME: "X" }, "The 'USER_TYPE_ID' field is not found."],
      [{ FIELD_NAME: "X", USER_TYPE_ID: "nope" }, "Указан неверный пользовательский тип"],
      [{ FIELD_NAME: "BAD-NAME", USER_TYPE_ID: "string" }, "Имя поля содержит недопустимые символы. Допустимыми являются: A-Z, 0-9 и _."],
      [{ FIELD_NAME: "A".repeat(44), USER_TYPE_ID: "string" }, "Имя поля слишком длинное (больше 50-ти символов)."],
    ];
    for (const [fields, text] of bad) {
      const r = await t.call("crm.deal.userfield.add", { fields });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: "", error_description: text });
    }
    expect((await t.call("crm.deal.userfield.add", { fields: { FIELD_NAME: "DUP", USER_TYPE_ID: "string" } })).status).toBe(200);
    const dup = await t.call("crm.deal.userfield.add", { fields: { FIELD_NAME: "UF_CRM_DUP", USER_TYPE_ID: "string" } });
    expect(dup.status).toBe(400);
    expect(dup.body.error).toBe("");
  });
});
