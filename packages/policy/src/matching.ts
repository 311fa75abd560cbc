import { HeldForDecision, type Mapping, type RecordRef, type System } from "@concord/contracts";
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
/** The source record as a person recognises it in a decision: `company 7 «Ромашка» · ИНН 7701…/7701… · a@b.ru`. */
export function customerSummary(what: string, name: string, customer: Pick<CustomerKeys, "inn" | "kpp" | "email">): string {
  const inn = blank(customer.inn);
  const kpp = blank(customer.kpp);
  const email = blank(customer.email);
  return `${what} «${name}»${inn ? ` · ИНН ${inn}${kpp ? `/${kpp}` : ""}` : ""}${email ? ` · ${email}` : ""}`.slice(0, 500);
}

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

/** How long an older claim on a found record is waited for (it is renewed each time its command is looked at). */
export const CLAIM_WAIT_MS = 10 * 60_000;

export type CandidateStanding =
  | { kind: "free" }
  | { kind: "linked"; to: string }
  | { kind: "wait"; why: string };

type CandidatePair = Pick<Mapping, "id" | "sourceSystem" | "sourceEntity" | "sourceId" | "targetSystem" | "targetEntity" | "targetId" | "state" | "decision" | "createAttemptedAt" | "lastSeenAt">;

/**
 * What a record found by keys is to the record looking for its counterpart (`self`, whose
 * pair is `selfPairId`), from the found record's own pair: free to link, linked to another
 * record (a person decides), or claimed by its own first change from the other side at the same
 * moment — one identity, two claims. Then the found record's claim settles it when a person
 * decides it or its create is in doubt, and otherwise the older claim goes first; the younger
 * waits for it (while it is renewed) and then finds the pair linked.
 */
export function candidateStanding(found: RecordRef, pair: CandidatePair | null, self: RecordRef, selfPairId: number, now = Date.now()): CandidateStanding {
  if (!pair || pair.state === "deleted" || pair.id === selfPairId) return { kind: "free" };
  const foundIsSource = pair.sourceSystem === found.system;
  const other = foundIsSource ? { system: pair.targetSystem, entity: pair.targetEntity, id: pair.targetId } : { system: pair.sourceSystem, entity: pair.sourceEntity, id: pair.sourceId };
  if (other.id !== null) {
    const mine = other.entity === self.entity && other.id.toLowerCase() === self.id.toLowerCase();
    // Already paired with this very record by the other direction's claim, which went first
    // (it confirmed between this command's look at its own pair and this search): linking again
    // would make a second pair of the same two records. Looked at again, the command's own
    // pair resolves to that one (the confirmed pair is the identity's) and goes on through it.
    if (mine) return { kind: "wait", why: `${found.entity} ${found.id} is already paired with this record (mapping ${pair.id}): the command goes on through that pair` };
    return { kind: "linked", to: `${other.system === "onec" ? "1C" : "bitrix24"} ${other.entity} ${other.id}` };
  }
  if (pair.decision === "ignore") return { kind: "linked", to: "nothing: a person chose to leave it unsynced" };
  const claimed = `${found.entity} ${found.id} is being linked or created by its own change from the other side (mapping ${pair.id})`;
  if (pair.decision !== null) return { kind: "wait", why: `${claimed}, which waits for a person's decision` };
  if (pair.createAttemptedAt !== null) return { kind: "wait", why: `${claimed}, whose create is in doubt` };
  if (pair.id < selfPairId && now - Date.parse(pair.lastSeenAt) < CLAIM_WAIT_MS) return { kind: "wait", why: `${claimed}; the older claim goes first` };
  return { kind: "free" };
}

/**
 * The `linkedTo` of a record a writer found by keys (null: free to link), read through the
 * mapping service; while the record's own claim from the other side is in progress, the command
 * is held (looked at again without spending its retry budget) rather than asking a person.
 */
export async function linkedToOf(
  found: RecordRef,
  self: RecordRef,
  selfPairId: number,
  resolve: (ref: RecordRef, otherSystem: System) => Promise<CandidatePair | null>,
): Promise<string | null> {
  const standing = candidateStanding(found, await resolve(found, self.system), self, selfPairId);
  if (standing.kind === "wait") throw new HeldForDecision(null, `held: ${standing.why}`);
  return standing.kind === "linked" ? standing.to : null;
}
