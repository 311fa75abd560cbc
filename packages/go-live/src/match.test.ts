import { matchEntity, productPairs, provenPairs, customerIndexKeys, type TablePair } from "./match";
import type { CustomerRecord, OrderRecord, ProductRecord } from "./records";
import { compareWithTable } from "./run";

const matching = { customer: { legalEntity: ["innKpp"], soleTrader: ["inn"], person: ["email", "phone"] }, normalise: { email: "lowercase", phone: "ruPhone" } } as const;
type M = Parameters<typeof matchEntity>[2];
const m = matching as unknown as M;

const crm = (entity: "company" | "contact", id: string, fields: Partial<CustomerRecord> = {}): CustomerRecord => ({ ref: { system: "bitrix24", entity, id }, label: `«${entity} ${id}»`, inn: null, kpp: null, legalForm: null, emails: [], phones: [], inverse: null, deleted: false, ...fields });
const cp = (id: string, fields: Partial<CustomerRecord> = {}): CustomerRecord => ({ ref: { system: "onec", entity: "counterparty", id }, label: `«cp ${id}»`, inn: null, kpp: null, legalForm: "ЮрЛицо", emails: [], phones: [], inverse: null, deleted: false, ...fields });

describe("customers", () => {
  const onec = [
    cp("a", { inn: "7701000001", kpp: "770101001" }),
    cp("b1", { inn: "7702000002", kpp: "770201001" }),
    cp("b2", { inn: "7702000002", kpp: "770201001" }),
    cp("g", { inn: "7703000003", kpp: "770302001" }),
    cp("ip", { inn: "500100732259", legalForm: "ИндивидуальныйПредприниматель" }),
    cp("p", { legalForm: "ФизЛицо", emails: ["Ivan.Petrov@Mail.ru"] }),
    cp("d", { inn: "7704000004", kpp: "770401001" }),
    cp("m", { inverse: "concord:bitrix24:company:20" }),
    cp("gone", { inn: "7709000009", kpp: "770901001", deleted: true }),
  ];
  const crms = [
    crm("company", "1", { inn: "7701000001", kpp: "770101001" }),
    crm("company", "2", { inn: "7702000002", kpp: "770201001" }),
    crm("company", "3", { inn: "7703000003", kpp: "770301001" }),
    crm("company", "4", { inn: "500100732259" }),
    crm("contact", "5", { emails: ["ivan.petrov@mail.ru"] }),
    crm("company", "6", { inn: "7704000004", kpp: "770401001" }),
    crm("company", "7", { inn: "7704000004", kpp: "770401001" }),
    crm("company", "20"),
    crm("company", "21", { inverse: "x-unknown" }),
    crm("company", "22", { inn: "7709000009", kpp: "770901001" }),
  ];

  it("links what is certain, by which key, and reports the rest on each side", () => {
    const r = matchEntity("customers", { customers: { crm: crms, onec } }, m, []);
    const pairs = Object.fromEntries(r.pairs.map((p) => [p.source.id, `${p.target.id} ${p.by}`]));
    expect(pairs).toEqual({ "1": "a match:innKpp", "4": "ip match:inn", "5": "p match:email", "20": "m marker" });
    expect(r.ambiguous.map((a) => [a.source.id, a.reason])).toEqual([
      ["2", "2 records share the same innKpp"],
      ["6", "2 CRM records match the same 1C counterparty (Bitrix24 company 6, Bitrix24 company 7)"],
      ["7", "2 CRM records match the same 1C counterparty (Bitrix24 company 6, Bitrix24 company 7)"],
    ]);
    expect(r.unmatched.bitrix24.map((u) => u.ref.id).sort()).toEqual(["21", "22", "3"]);
    expect(r.unmatched.onec.map((u) => u.ref.id).sort()).toEqual(["g"]); // the deleted one is not offered
  });

  it("leaves pairs the table has alone, and never links a counterparty the table gives another record", () => {
    const table: TablePair[] = [
      { id: 1, source: { system: "bitrix24", entity: "company", id: "1" }, target: { system: "onec", entity: "counterparty", id: "a" }, state: "confirmed", createdBy: "flow", decision: null },
      { id: 2, source: { system: "bitrix24", entity: "company", id: "99" }, target: { system: "onec", entity: "counterparty", id: "ip" }, state: "confirmed", createdBy: "flow", decision: null },
    ];
    const r = matchEntity("customers", { customers: { crm: crms, onec } }, m, table);
    expect(r.pairs.map((p) => p.source.id).sort()).toEqual(["20", "5"]);
    expect(r.ambiguous.find((a) => a.source.id === "4")).toMatchObject({ reason: "the only match (by inn) is already linked to Bitrix24 company 99" });
  });

  it("indexes a counterparty by every key it has, normalised", () => {
    expect(customerIndexKeys(cp("x", { inn: "1", kpp: "2", emails: [" A@B.ru "], phones: ["8 (912) 000-11-22"] }), m)).toEqual(["innKpp:1/2", "inn:1", "email:a@b.ru", "phone:79120001122"]);
  });
});

describe("inverse ids", () => {
  const deal = (id: string, inverse: string | null = null): OrderRecord => ({ ref: { system: "bitrix24", entity: "deal", id }, label: id, inverse, deleted: false });
  const order = (id: string, inverse: string | null = null, deleted = false): OrderRecord => ({ ref: { system: "onec", entity: "order", id }, label: id, inverse, deleted });

  it("pairs orders by B24-D- (born in the CRM) and by ORIGIN_ID (born in 1C); a copy is its own record; unresolved copies disagree", () => {
    const { pairs, disagreements } = provenPairs("orders", {
      orders: {
        crm: [deal("1", "o1"), deal("2"), deal("3", "o3"), deal("4"), deal("6", "o6"), deal("7", "o6copy")],
        onec: [order("o1", "B24-D-1"), order("o2", "B24-D-2"), order("o3"), order("o4a", "B24-D-4"), order("o4b", "B24-D-4"), order("o5", "B24-D-5", true), order("o6", "B24-D-6"), order("o6copy", "B24-D-6")],
      },
    });
    expect(pairs.map((p) => `${p.source.entity}:${p.source.id}>${p.target.id} ${p.by}`).sort()).toEqual(["deal:1>o1 clientNumber", "deal:2>o2 clientNumber", "deal:6>o6 clientNumber", "order:o3>3 origin", "order:o6copy>7 origin"]);
    expect(disagreements.map((d) => d.ref.id)).toEqual(["4"]);
  });

  it("verify: the table against the records, both ways", () => {
    const proven = provenPairs("orders", { orders: { crm: [deal("1", "o1"), deal("2")], onec: [order("o1", "B24-D-1"), order("o2", "B24-D-2")] } });
    const table: TablePair[] = [
      { id: 1, source: { system: "bitrix24", entity: "deal", id: "1" }, target: { system: "onec", entity: "order", id: "o1" }, state: "confirmed", createdBy: "flow", decision: null },
      { id: 3, source: { system: "bitrix24", entity: "deal", id: "9" }, target: { system: "onec", entity: "order", id: "o9" }, state: "confirmed", createdBy: "flow", decision: null },
    ];
    const r = compareWithTable("orders", proven, table);
    expect(r.alreadyMapped).toBe(1);
    expect(r.pairs.map((p) => p.source.id)).toEqual(["2"]);
    expect(r.disagreements.map((d) => d.ref.id)).toEqual(["9"]);
  });
});

describe("products", () => {
  const p = (system: "bitrix24" | "onec", id: string, sku: string | null): ProductRecord => ({ ref: { system, entity: "product", id }, label: id, sku, deleted: false });
  it("pairs one article on each side; several on a side are ambiguous; no article is reported", () => {
    const r = productPairs({ crm: [p("bitrix24", "1", "SKU-1"), p("bitrix24", "2", "SKU-2"), p("bitrix24", "3", "SKU-2"), p("bitrix24", "4", null)], onec: [p("onec", "a", "SKU-1"), p("onec", "b", "SKU-2")] });
    expect(r.pairs.map((x) => `${x.source.id}>${x.target.id}`)).toEqual(["a>1"]);
    expect(r.ambiguous).toHaveLength(1);
    expect(r.ambiguous[0]?.candidates.map((c) => c.id)).toEqual(["2", "3"]);
    expect(r.noArticle.map((x) => x.ref.id)).toEqual(["4"]);
  });
});
