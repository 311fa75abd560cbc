import type { Matching } from "./schema";

/**
 * Business-key matching, the pure part: which keys apply to a customer, how values compare,
 * and what a set of lookups decides. The writers do the lookups on their own system.
 */

export type CustomerKind = "legalEntity" | "soleTrader" | "person";
export type MatchKey = Matching["customer"]["legalEntity"][number];

export interface CustomerKeys {
  kind: CustomerKind;
  inn: string | null;
  kpp: string | null;
  email: string | null;
  phone: string | null;
}

const blank = (v: string | null | undefined): string | null => (v && v.trim() !== "" ? v.trim() : null);

/** A sole trader has a 12-digit INN and no KPP; a person is a contact or 1C ФизЛицо; the rest are legal entities. */
export function customerKind(entity: "company" | "contact" | "counterparty", inn: string | null, kpp: string | null, onecLegalForm?: string | null): CustomerKind {
  if (entity === "contact" || onecLegalForm === "ФизЛицо") return "person";
  if (onecLegalForm === "ИндивидуальныйПредприниматель") return "soleTrader";
  const digits = blank(inn)?.replace(/\D/g, "") ?? "";
  return digits.length === 12 && !blank(kpp) ? "soleTrader" : "legalEntity";
}

export function normaliseEmail(value: string | null, rule: Matching["normalise"]["email"]): string | null {
  const v = blank(value);
  return v === null ? null : rule === "lowercase" ? v.toLowerCase() : v;
}

export function normalisePhone(value: string | null, rule: Matching["normalise"]["phone"]): string | null {
  const v = blank(value);
  if (v === null || rule === "exact") return v;
  const digits = v.replace(/\D/g, "");
  if (digits === "") return null;
  return rule === "ruPhone" && digits.length === 11 && digits.startsWith("8") ? `7${digits.slice(1)}` : digits;
}

/** One key's lookup: the key and the value it looked for (normalised). */
export interface KeyLookup {
  key: MatchKey;
  value: string;
}

/** The keys the policy names for this kind whose values the record has, in the policy's order. */
export function lookupsFor(matching: Matching, customer: CustomerKeys): KeyLookup[] {
  const inn = blank(customer.inn);
  const kpp = blank(customer.kpp);
  const email = normaliseEmail(customer.email, matching.normalise.email);
  const phone = normalisePhone(customer.phone, matching.normalise.phone);
  const lookups: KeyLookup[] = [];
  for (const key of matching.customer[customer.kind]) {
    if (key === "innKpp" && inn && kpp) lookups.push({ key, value: `${inn}/${kpp}` });
    if (key === "inn" && inn) lookups.push({ key, value: inn });
    if (key === "email" && email) lookups.push({ key, value: email });
    if (key === "phone" && phone) lookups.push({ key, value: phone });
  }
  return lookups;
}

/**
 * The lookups a writer runs, with the values to send: the normalised value and the record's own
 * form, since a target compares exactly (an e-mail as 1C stores it, a phone as the CRM shows it).
 */
export function matchRequest(matching: Matching, customer: CustomerKeys, summary: string): { summary: string; lookups: Array<{ key: MatchKey; value: string; variants: string[] }> } {
  const raw: Record<MatchKey, string | null> = {
    innKpp: null,
    inn: blank(customer.inn),
    email: blank(customer.email),
    phone: blank(customer.phone),
  };
  const lookups = lookupsFor(matching, customer).map(({ key, value }) => {
    const own = raw[key];
    const variants = key === "phone" ? [own, value, `+${value}`] : [own, value];
    return { key, value, variants: [...new Set(variants.filter((v): v is string => v !== null))] };
  });
  return { summary: summary.slice(0, 500), lookups };
}

/** What a key found: a record on the target, and whether another source record is linked to it already. */
export interface Found {
  key: MatchKey;
  id: string;
  label: string;
  linkedTo: string | null;
}

export type MatchDecision =
  | { kind: "none" }
  | { kind: "one"; id: string; keys: MatchKey[] }
  | { kind: "ambiguous"; reason: string; candidates: Array<{ id: string; label: string; keys: MatchKey[]; linkedTo: string | null }> };

/**
 * One record, found by every key that found anything and linked to nothing else: link it.
 * Several records (one key finds two, or two keys find different ones), or one that is linked
 * already: a person decides. Nothing found: create.
 */
export function decideMatch(found: Found[]): MatchDecision {
  const byId = new Map<string, { id: string; label: string; keys: MatchKey[]; linkedTo: string | null }>();
  for (const f of found) {
    const seen = byId.get(f.id.toLowerCase());
    if (seen) {
      if (!seen.keys.includes(f.key)) seen.keys.push(f.key);
    } else byId.set(f.id.toLowerCase(), { id: f.id, label: f.label, keys: [f.key], linkedTo: f.linkedTo });
  }
  const candidates = [...byId.values()];
  if (candidates.length === 0) return { kind: "none" };
  const [only] = candidates;
  if (candidates.length === 1 && only && only.linkedTo === null) return { kind: "one", id: only.id, keys: only.keys };
  if (candidates.length === 1 && only) return { kind: "ambiguous", reason: `the only match (by ${only.keys.join(" + ")}) is already linked to ${only.linkedTo}`, candidates };
  const keys = [...new Set(found.map((f) => f.key))];
  const reason =
    keys.length === 1
      ? `${candidates.length} records share the same ${keys[0]}`
      : `the keys disagree: ${keys.map((k) => `${k} finds ${candidates.filter((c) => c.keys.includes(k)).map((c) => c.id).join(", ")}`).join("; ")}`;
  return { kind: "ambiguous", reason, candidates };
}

/** created_by of a pair found by keys: `match:innKpp`, `match:email+phone` (at most 32 characters). */
export function matchedBy(keys: MatchKey[]): string {
  return `match:${keys.join("+")}`.slice(0, 32);
}
