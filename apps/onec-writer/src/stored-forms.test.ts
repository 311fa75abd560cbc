import { createStoredForms, type LengthStore } from "./stored-forms";

function sharedStore(): LengthStore & { keys: Map<string, number> } {
  const keys = new Map<string, number>();
  return { keys, get: async (key) => keys.get(key) ?? null, put: async (key, length) => void keys.set(key, length) };
}

const long = "О".repeat(130);
const cut = "О".repeat(100);

it("learns the length 1C cuts a field to from its answer, and then takes the cut form for the value", async () => {
  const forms = createStoredForms(sharedStore());
  expect(await forms.holds("Catalog_Контрагенты", "Description", long, cut)).toBe(false);
  await forms.learn("Catalog_Контрагенты", { Description: long, Комментарий: "x" }, { Description: cut, Комментарий: "x" });
  expect(await forms.holds("Catalog_Контрагенты", "Description", long, cut)).toBe(true);
  expect(await forms.holds("Catalog_Контрагенты", "Description", `${long}!`, cut)).toBe(true); // the same 100 characters
  expect(await forms.holds("Catalog_Контрагенты", "Description", `Х${long}`, cut)).toBe(false);
  expect(await forms.holds("Document_ЗаказКлиента", "Description", long, cut)).toBe(false); // another set, another length
});

it("shares what one replica learned with another, under ASCII keys", async () => {
  const store = sharedStore();
  await createStoredForms(store).learn("Catalog_Контрагенты", { Description: long }, { Description: cut });
  expect([...store.keys.keys()].every((k) => /^[-/=.\w]+$/.test(k))).toBe(true);
  expect(await createStoredForms(store).holds("Catalog_Контрагенты", "Description", long, cut)).toBe(true);
});

it("takes trailing spaces 1C trims for the same value", async () => {
  expect(await createStoredForms(sharedStore()).holds("Catalog_Контрагенты", "Description", "ООО Ромашка ", "ООО Ромашка")).toBe(true);
});
