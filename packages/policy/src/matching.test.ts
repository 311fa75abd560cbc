import { customerKind, decideMatch, lookupsFor, matchedBy, normaliseEmail, normalisePhone } from "./matching";
import type { Matching } from "./schema";

const matching: Matching = {
  customer: { legalEntity: ["innKpp"], soleTrader: ["inn"], person: ["email", "phone"] },
  normalise: { email: "lowercase", phone: "ruPhone" },
};

describe("customer kind", () => {
  it("tells a sole trader by a 12-digit INN without KPP, a person by contact or ФизЛицо", () => {
    expect(customerKind("company", "7707083893", "770701001")).toBe("legalEntity");
    expect(customerKind("company", "500100732259", null)).toBe("soleTrader");
    expect(customerKind("company", null, null)).toBe("legalEntity");
    expect(customerKind("contact", null, null)).toBe("person");
    expect(customerKind("counterparty", "7707083893", null, "ИндивидуальныйПредприниматель")).toBe("soleTrader");
    expect(customerKind("counterparty", null, null, "ФизЛицо")).toBe("person");
  });
});

describe("normalisation", () => {
  it("compares e-mails trimmed and lower-cased, phones as digits with 8 read as 7", () => {
    expect(normaliseEmail("  Info@Romashka.RU ", "lowercase")).toBe("info@romashka.ru");
    expect(normaliseEmail("Info@Romashka.RU", "exact")).toBe("Info@Romashka.RU");
    expect(normalisePhone("8 (900) 123-45-67", "ruPhone")).toBe("79001234567");
    expect(normalisePhone("+7 900 123 45 67", "ruPhone")).toBe("79001234567");
    expect(normalisePhone("8 (900) 123-45-67", "digits")).toBe("89001234567");
    expect(normalisePhone("  ", "ruPhone")).toBeNull();
  });
});

describe("lookups", () => {
  it("uses only the keys the policy names for the kind, and only those the record has values for", () => {
    expect(lookupsFor(matching, { kind: "legalEntity", inn: "7707083893", kpp: "770701001", email: "a@b.ru", phone: null })).toEqual([{ key: "innKpp", value: "7707083893/770701001" }]);
    // No KPP: INN + KPP cannot look; the branch rule never falls back to INN alone unless configured.
    expect(lookupsFor(matching, { kind: "legalEntity", inn: "7707083893", kpp: null, email: null, phone: null })).toEqual([]);
    expect(lookupsFor(matching, { kind: "person", inn: null, kpp: null, email: "A@B.ru", phone: "8 900 1234567" })).toEqual([
      { key: "email", value: "a@b.ru" },
      { key: "phone", value: "79001234567" },
    ]);
  });
});

describe("deciding a match", () => {
  const found = (key: "innKpp" | "email" | "phone" | "inn", id: string, linkedTo: string | null = null) => ({ key, id, label: id, linkedTo });

  it("creates when nothing is found", () => {
    expect(decideMatch([])).toEqual({ kind: "none" });
  });
  it("links one record, however many keys agree on it", () => {
    expect(decideMatch([found("email", "A"), found("phone", "a")])).toEqual({ kind: "one", id: "A", keys: ["email", "phone"] });
    expect(matchedBy(["email", "phone"])).toBe("match:email+phone");
  });
  it("asks a person when one key finds two records", () => {
    const decision = decideMatch([found("innKpp", "A"), found("innKpp", "B")]);
    expect(decision.kind).toBe("ambiguous");
    expect(decision.kind === "ambiguous" && decision.reason).toBe("2 records share the same innKpp");
  });
  it("asks a person when the keys disagree", () => {
    const decision = decideMatch([found("email", "A"), found("phone", "B")]);
    expect(decision.kind === "ambiguous" && decision.reason).toBe("the keys disagree: email finds A; phone finds B");
  });
  it("asks a person when the only match is linked to another record already", () => {
    const decision = decideMatch([found("innKpp", "A", "bitrix24 company 7")]);
    expect(decision).toMatchObject({ kind: "ambiguous", candidates: [{ id: "A", linkedTo: "bitrix24 company 7" }] });
  });
});
