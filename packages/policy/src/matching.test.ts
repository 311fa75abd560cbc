import { HeldForDecision } from "@concord/contracts";
import { CLAIM_WAIT_MS, candidateStanding, customerKind, customerSummary, decideMatch, linkedToOf, lookupsFor, matchedBy, normaliseEmail, normalisePhone } from "./matching";
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

describe("a found record's own pair", () => {
  const x = { system: "onec" as const, entity: "counterparty" as const, id: "5a1c4f9e-0000-4000-8000-000000000001" };
  const company = { system: "bitrix24" as const, entity: "company" as const, id: "7" };
  const now = Date.parse("2026-12-01T12:00:00Z");
  // X's own claim toward the CRM: its first 1C order came while company 7's first deal did.
  const claimOfX = (over: Partial<Parameters<typeof candidateStanding>[1] & object> = {}) => ({
    id: 10,
    sourceSystem: "onec" as const,
    sourceEntity: "counterparty" as const,
    sourceId: x.id,
    targetSystem: "bitrix24" as const,
    targetEntity: "company" as const,
    targetId: null,
    state: "claimed" as const,
    decision: null,
    createAttemptedAt: null,
    lastSeenAt: "2026-12-01T11:59:50Z",
    ...over,
  });

  it("is free when unpaired, deleted, or its pair is the one looking for it", () => {
    expect(candidateStanding(x, null, company, 20, now)).toEqual({ kind: "free" });
    expect(candidateStanding(x, claimOfX({ state: "deleted" }), company, 20, now)).toEqual({ kind: "free" });
    expect(candidateStanding(x, claimOfX({ id: 20, targetId: "7", state: "confirmed" }), company, 20, now)).toEqual({ kind: "free" });
  });
  it("waits when the other direction's claim already paired it with the record looking for it (a second pair of the same two records: seen in chaos seed 202)", () => {
    const standing = candidateStanding(x, claimOfX({ targetId: "7", state: "confirmed" }), company, 20, now);
    expect(standing.kind).toBe("wait");
    // A younger pair of the same two records waits too: one pair, whichever confirmed first.
    expect(candidateStanding(x, claimOfX({ id: 30, targetId: "7", state: "confirmed" }), company, 20, now).kind).toBe("wait");
  });
  it("is linked when paired with another record, or left unsynced by a person", () => {
    expect(candidateStanding(x, claimOfX({ targetId: "18", state: "confirmed" }), company, 20, now)).toEqual({ kind: "linked", to: "bitrix24 company 18" });
    const fromCrm = { ...claimOfX(), sourceSystem: "bitrix24" as const, sourceEntity: "company" as const, sourceId: "18", targetSystem: "onec" as const, targetEntity: "counterparty" as const, targetId: x.id, state: "confirmed" as const };
    expect(candidateStanding(x, fromCrm, company, 20, now)).toEqual({ kind: "linked", to: "bitrix24 company 18" });
    expect(candidateStanding(x, claimOfX({ decision: "ignore" }), company, 20, now).kind).toBe("linked");
  });
  it("waits for an older claim in progress, and for any claim a person decides or whose create is in doubt", () => {
    expect(candidateStanding(x, claimOfX(), company, 20, now)).toMatchObject({ kind: "wait", why: expect.stringContaining("the older claim goes first") });
    expect(candidateStanding(x, claimOfX({ id: 30, decision: "awaiting" }), company, 20, now)).toMatchObject({ kind: "wait", why: expect.stringContaining("decision") });
    expect(candidateStanding(x, claimOfX({ id: 30, createAttemptedAt: "2026-12-01T11:59:00Z" }), company, 20, now)).toMatchObject({ kind: "wait", why: expect.stringContaining("in doubt") });
  });
  it("goes first over a younger claim, and over an older one nobody renewed for ten minutes", () => {
    expect(candidateStanding(x, claimOfX({ id: 30 }), company, 20, now)).toEqual({ kind: "free" });
    expect(candidateStanding(x, claimOfX({ lastSeenAt: new Date(now - CLAIM_WAIT_MS - 1).toISOString() }), company, 20, now)).toEqual({ kind: "free" });
  });
  it("holds the command (no retry budget spent) while it waits", async () => {
    // linkedToOf reads the clock: a claim renewed just now.
    await expect(linkedToOf(x, company, 20, async () => claimOfX({ lastSeenAt: new Date().toISOString() }))).rejects.toBeInstanceOf(HeldForDecision);
    await expect(linkedToOf(x, company, 20, async () => claimOfX({ targetId: "18", state: "confirmed" }))).resolves.toBe("bitrix24 company 18");
    await expect(linkedToOf(x, company, 20, async () => null)).resolves.toBeNull();
  });
});

it("names a customer in a decision as a person recognises it", () => {
  expect(customerSummary("company 7", "Ромашка", { inn: "7701000001", kpp: "770101001", email: "a@b.ru" })).toBe("company 7 «Ромашка» · ИНН 7701000001/770101001 · a@b.ru");
  expect(customerSummary("1C counterparty 5a1c", "Иванов", { inn: " ", kpp: null, email: null })).toBe("1C counterparty 5a1c «Иванов»");
});
