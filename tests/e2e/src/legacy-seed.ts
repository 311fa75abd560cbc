import { COUNTERPARTY_SET, createInOnec, type TestSystem } from "./harness";

// Legacy data of a CRM and a 1C that lived apart (issue 13), shared by the live-matching test
// and the go-live tools' test: the same company on both sides, a duplicate in 1C, a branch
// (same INN, another KPP), a sole trader, a person known by e-mail, and a company to be
// entered twice in the CRM.

export type Rec = Record<string, unknown>;


/** A counterparty with its partner, as a 1C manager enters it. */
export async function legacyCounterparty(t: TestSystem, fields: Rec): Promise<Rec> {
  const partner = await createInOnec(t, "Catalog_Партнеры", { Description: String(fields.Description), Клиент: true, ЮрФизЛицо: "Компания" });
  return createInOnec(t, COUNTERPARTY_SET, { ...fields, Партнер_Key: partner.Ref_Key });
}

/** A CRM company, with a requisite holding INN (and KPP) when given. */
export async function crmCompany(t: TestSystem, title: string, requisite: { inn: string; kpp?: string } | null): Promise<number> {
  const id = await t.b24<number>("crm.company.add", { fields: { TITLE: title } });
  if (requisite) {
    await t.b24("crm.requisite.add", {
      fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: id, PRESET_ID: requisite.kpp ? 1 : 2, NAME: title, RQ_INN: requisite.inn, ...(requisite.kpp ? { RQ_KPP: requisite.kpp } : {}) },
    });
  }
  return id;
}

/** The 1C side of the legacy data, by name. */
export async function seedLegacyOnec(t: TestSystem): Promise<Record<"alpha" | "beta1" | "beta2" | "gammaBranch" | "soleTrader" | "person" | "delta", Rec>> {
  return {
    alpha: await legacyCounterparty(t, { Description: "ООО Альфа", ИНН: "7701000001", КПП: "770101001", ЮрФизЛицо: "ЮрЛицо" }),
    // The same company twice in 1C (a duplicate people made years ago).
    beta1: await legacyCounterparty(t, { Description: "ООО Бета", ИНН: "7702000002", КПП: "770201001", ЮрФизЛицо: "ЮрЛицо" }),
    beta2: await legacyCounterparty(t, { Description: "Бета ООО (дубль)", ИНН: "7702000002", КПП: "770201001", ЮрФизЛицо: "ЮрЛицо" }),
    // A branch: the same INN, another KPP.
    gammaBranch: await legacyCounterparty(t, { Description: "ООО Гамма, филиал", ИНН: "7703000003", КПП: "770302001", ЮрФизЛицо: "ЮрЛицо" }),
    soleTrader: await legacyCounterparty(t, { Description: "ИП Сидоров", ИНН: "500100732259", ЮрФизЛицо: "ИндивидуальныйПредприниматель" }),
    person: await legacyCounterparty(t, {
      Description: "Петров Иван",
      ЮрФизЛицо: "ФизЛицо",
      КонтактнаяИнформация: [{ LineNumber: 1, Тип: "АдресЭлектроннойПочты", Представление: "Ivan.Petrov@Mail.ru", Значение: "Ivan.Petrov@Mail.ru" }],
    }),
    delta: await legacyCounterparty(t, { Description: "ООО Дельта", ИНН: "7704000004", КПП: "770401001", ЮрФизЛицо: "ЮрЛицо" }),
  };
}
