import type { Candidate } from "@concord/contracts";
import { customerKind, decideMatch, lookupsFor, matchedBy, normaliseEmail, normalisePhone, type Found, type Matching } from "@concord/policy";
import { refKey, refText, type CustomerRecord, type GoLiveEntity, type OrderRecord, type ProductRecord, type Ref } from "./records";

/**
 * The pure part of backfill and rebuild: both sides indexed in memory by normalised key, then
 * the live flow's own rule (`decideMatch`) per record. Inverse ids (Concord's marker on a 1C
 * counterparty, ORIGIN_ID on a CRM record, B24-D-<deal> on a 1C order, a product's article)
 * are certain; business keys are certain only when one record on each side agrees.
 */

export interface Pair {
  source: Ref;
  target: Ref;
  /** How it was found: marker, origin, clientNumber, article, or match:<keys>. */
  by: string;
  sourceLabel: string;
  targetLabel: string;
}

export interface Ambiguous {
  source: Ref;
  summary: string;
  reason: string;
  candidates: Candidate[];
}

export interface Unmatched {
  ref: Ref;
  label: string;
  note: string;
}

/** A pair of the mapping table as the tools see it (any state). */
export interface TablePair {
  id: number;
  source: Ref;
  target: Ref | null;
  state: "claimed" | "confirmed" | "deleted";
  createdBy: string;
  decision: string | null;
}

export interface MatchResult {
  entity: GoLiveEntity;
  /** New pairs, certain: what `--apply` writes. */
  pairs: Pair[];
  /** Records the table pairs already (left as they are). */
  alreadyMapped: number;
  ambiguous: Ambiguous[];
  unmatched: { bitrix24: Unmatched[]; onec: Unmatched[] };
  /** Inverse ids that disagree with each other or with the table. */
  disagreements: Array<{ ref: Ref; note: string }>;
}

export interface Sides<T> {
  crm: T[];
  onec: T[];
}

/** The table indexed by both of each pair's records. */
export function indexTable(rows: TablePair[]): Map<string, TablePair> {
  const byRecord = new Map<string, TablePair>();
  for (const row of rows) {
    byRecord.set(refKey(row.source), row);
    if (row.target) byRecord.set(refKey(row.target), row);
  }
  return byRecord;
}

const otherOf = (row: TablePair, ref: Ref): Ref | null => (refKey(row.source) === refKey(ref) ? row.target : row.source);

/** Groups records under every value a key gives them. */
export function indexBy<T>(records: T[], keysOf: (record: T) => string[]): Map<string, T[]> {
  const index = new Map<string, T[]>();
  for (const record of records) {
    for (const key of new Set(keysOf(record))) {
      const list = index.get(key);
      if (list) list.push(record);
      else index.set(key, [record]);
    }
  }
  return index;
}

/** Every key value a 1C counterparty can be found by, whatever its kind (the live flow's OData filters do the same). */
export function customerIndexKeys(c: CustomerRecord, matching: Matching): string[] {
  const keys: string[] = [];
  if (c.inn && c.kpp) keys.push(`innKpp:${c.inn}/${c.kpp}`);
  if (c.inn) keys.push(`inn:${c.inn}`);
  for (const e of c.emails) {
    const v = normaliseEmail(e, matching.normalise.email);
    if (v) keys.push(`email:${v}`);
  }
  for (const p of c.phones) {
    const v = normalisePhone(p, matching.normalise.phone);
    if (v) keys.push(`phone:${v}`);
  }
  return keys;
}

interface InverseResult {
  pairs: Pair[];
  disagreements: Array<{ ref: Ref; note: string }>;
}

/**
 * Pairs the inverse ids prove. `fromOnec`: the CRM record a 1C record names (marker, B24-D-);
 * `fromCrm`: the 1C record a CRM record names (ORIGIN_ID). When both name each other the 1C
 * side's id decides the direction (the pair was born in the CRM); two records naming the same
 * one, or naming different ones, disagree and are left to a person.
 */
function inversePairs<T extends { ref: Ref; label: string; inverse: string | null; deleted: boolean }>(
  sides: Sides<T>,
  fromOnec: (record: T) => Ref | null,
  onecBy: string,
  crmOriginDecides = false,
): InverseResult {
  const crmById = new Map(sides.crm.filter((r) => !r.deleted).map((r) => [refKey(r.ref), r]));
  const onecById = new Map(sides.onec.filter((r) => !r.deleted).map((r) => [r.ref.id, r]));
  const claims = new Map<string, Array<{ crm: T; onec: T; by: string; crmFirst: boolean }>>();
  const add = (crm: T, onec: T, by: string, crmFirst: boolean) => {
    for (const key of [refKey(crm.ref), refKey(onec.ref)]) {
      const list = claims.get(key) ?? [];
      if (!list.some((c) => c.crm === crm && c.onec === onec)) list.push({ crm, onec, by, crmFirst });
      claims.set(key, list);
    }
  };
  for (const onec of onecById.values()) {
    const named = fromOnec(onec);
    const crm = named ? crmById.get(refKey(named)) : undefined;
    // A copy of an order carries its original's B24-D-<deal>; the deal's ORIGIN_ID names the one it is paired with.
    if (crm && !(crmOriginDecides && crm.inverse !== null && crm.inverse !== onec.ref.id)) add(crm, onec, onecBy, true);
  }
  for (const crm of crmById.values()) {
    const onec = crm.inverse ? onecById.get(crm.inverse) : undefined;
    if (onec && !(fromOnec(onec) && refKey(fromOnec(onec) as Ref) === refKey(crm.ref))) add(crm, onec, "origin", false);
  }
  const result: InverseResult = { pairs: [], disagreements: [] };
  const seen = new Set<string>();
  for (const [key, list] of claims) {
    if (list.length > 1) {
      const ref = (list[0]?.crm && refKey(list[0].crm.ref) === key ? list[0].crm.ref : list[0]?.onec.ref) as Ref;
      result.disagreements.push({ ref, note: `inverse ids disagree: ${list.map((c) => `${refText(c.crm.ref)} ↔ ${refText(c.onec.ref)} (${c.by})`).join("; ")}` });
    }
  }
  const disputed = new Set(result.disagreements.map((d) => refKey(d.ref)));
  for (const list of claims.values()) {
    for (const c of list) {
      const id = `${refKey(c.crm.ref)}|${refKey(c.onec.ref)}`;
      if (seen.has(id) || disputed.has(refKey(c.crm.ref)) || disputed.has(refKey(c.onec.ref))) continue;
      seen.add(id);
      const [source, target] = c.crmFirst ? [c.crm, c.onec] : [c.onec, c.crm];
      result.pairs.push({ source: source.ref, target: target.ref, by: c.by, sourceLabel: source.label, targetLabel: target.label });
    }
  }
  return result;
}

const MARKER = /^concord:bitrix24:(company|contact):(\d+)$/;
const DEAL_NUMBER = /^B24-D-(\d+)$/;

export const customerInverse = (sides: Sides<CustomerRecord>) =>
  inversePairs(sides, (onec) => {
    const m = onec.inverse ? MARKER.exec(onec.inverse) : null;
    return m ? { system: "bitrix24", entity: m[1] as "company" | "contact", id: m[2] as string } : null;
  }, "marker");

export const orderInverse = (sides: Sides<OrderRecord>) =>
  inversePairs(sides, (onec) => {
    const m = onec.inverse ? DEAL_NUMBER.exec(onec.inverse) : null;
    return m ? { system: "bitrix24", entity: "deal", id: m[1] as string } : null;
  }, "clientNumber", true);

/** Products pair by article, one record on each side; 1C is their master, so a pair starts in 1C. */
export function productPairs(sides: Sides<ProductRecord>): { pairs: Pair[]; ambiguous: Ambiguous[]; noArticle: ProductRecord[] } {
  const live = (list: ProductRecord[]) => list.filter((p) => !p.deleted);
  const crm = indexBy(live(sides.crm), (p) => (p.sku ? [p.sku] : []));
  const onec = indexBy(live(sides.onec), (p) => (p.sku ? [p.sku] : []));
  const pairs: Pair[] = [];
  const ambiguous: Ambiguous[] = [];
  for (const [sku, ones] of onec) {
    const crms = crm.get(sku) ?? [];
    if (crms.length === 0) continue;
    if (ones.length === 1 && crms.length === 1) {
      const [o, c] = [ones[0] as ProductRecord, crms[0] as ProductRecord];
      pairs.push({ source: o.ref, target: c.ref, by: "article", sourceLabel: o.label, targetLabel: c.label });
      continue;
    }
    for (const o of ones) {
      ambiguous.push({
        source: o.ref,
        summary: `1C product ${o.ref.id} ${o.label} · article ${sku}`,
        reason: ones.length > 1 ? `${ones.length} 1C products share the article ${sku}` : `${crms.length} CRM products share the article ${sku}`,
        candidates: crms.map((c) => ({ id: c.ref.id, label: c.label, keys: ["article"], linkedTo: null })),
      });
    }
  }
  const noArticle = [...live(sides.crm), ...live(sides.onec)].filter((p) => !p.sku);
  return { pairs, ambiguous, noArticle };
}

/** Pairs the inverse ids prove on both systems (what `mapping rebuild` restores and `mapping verify` checks). */
export function provenPairs(entity: GoLiveEntity, data: { customers?: Sides<CustomerRecord>; products?: Sides<ProductRecord>; orders?: Sides<OrderRecord> }): { pairs: Pair[]; disagreements: Array<{ ref: Ref; note: string }> } {
  if (entity === "customers" && data.customers) return customerInverse(data.customers);
  if (entity === "orders" && data.orders) return orderInverse(data.orders);
  if (entity === "products" && data.products) {
    const { pairs, ambiguous } = productPairs(data.products);
    return { pairs, disagreements: ambiguous.map((a) => ({ ref: a.source, note: a.reason })) };
  }
  return { pairs: [], disagreements: [] };
}

function unmatchedOf<T extends { ref: Ref; label: string; deleted: boolean }>(records: T[], taken: Set<string>, note: (r: T) => string): Unmatched[] {
  return records.filter((r) => !r.deleted && !taken.has(refKey(r.ref))).map((r) => ({ ref: r.ref, label: r.label, note: note(r) }));
}

/** Removes pairs (and their records) the table knows already; a table that disagrees with a proven pair is reported. */
function againstTable(pairs: Pair[], table: Map<string, TablePair>, disagreements: Array<{ ref: Ref; note: string }>): { fresh: Pair[]; mapped: number } {
  const fresh: Pair[] = [];
  let mapped = 0;
  for (const pair of pairs) {
    const rows = [table.get(refKey(pair.source)), table.get(refKey(pair.target))].filter((r): r is TablePair => r !== undefined);
    if (rows.length === 0) {
      fresh.push(pair);
      continue;
    }
    const agrees = rows.every((row) => {
      const other = otherOf(row, pair.source);
      return other === null ? refKey(row.source) === refKey(pair.source) : refKey(other) === refKey(pair.target);
    });
    if (agrees && rows.every((r) => r.state === "confirmed")) mapped += 1;
    else if (agrees && rows.every((r) => r.state !== "deleted")) fresh.push(pair); // a claim of ours or the flow's without its target yet
    else disagreements.push({ ref: pair.source, note: `the records say ${refText(pair.source)} ↔ ${refText(pair.target)} (${pair.by}); the table says ${rows.map((r) => `${refText(r.source)} → ${r.target ? refText(r.target) : "(no target)"} (${r.state})`).join("; ")}` });
  }
  return { fresh, mapped };
}

/**
 * Backfill's matching of one entity: inverse ids first, then (customers) business keys under
 * the policy, with the live flow's rule per CRM record and a check from the other side — a
 * 1C record that two CRM records would link is ambiguous for both. Records the table already
 * pairs are left alone.
 */
export function matchEntity(
  entity: GoLiveEntity,
  data: { customers?: Sides<CustomerRecord>; products?: Sides<ProductRecord>; orders?: Sides<OrderRecord> },
  matching: Matching,
  tableRows: TablePair[],
): MatchResult {
  const table = indexTable(tableRows);
  const result: MatchResult = { entity, pairs: [], alreadyMapped: 0, ambiguous: [], unmatched: { bitrix24: [], onec: [] }, disagreements: [] };
  const taken = new Set<string>();
  const take = (pairs: Pair[]) => pairs.forEach((p) => [p.source, p.target].forEach((r) => taken.add(refKey(r))));
  const inTable = (ref: Ref) => {
    const row = table.get(refKey(ref));
    return row !== undefined;
  };

  if (entity === "products" && data.products) {
    const { pairs, ambiguous, noArticle } = productPairs(data.products);
    const { fresh, mapped } = againstTable(pairs, table, result.disagreements);
    result.pairs = fresh;
    result.alreadyMapped = mapped;
    take(pairs);
    result.ambiguous = ambiguous.filter((a) => !inTable(a.source));
    for (const a of ambiguous) [a.source, ...a.candidates.map((c) => ({ system: "bitrix24" as const, entity: "product" as const, id: c.id }))].forEach((r) => taken.add(refKey(r)));
    const articleLess = new Set(noArticle.map((p) => refKey(p.ref)));
    const note = (side: string) => (r: ProductRecord) => (articleLess.has(refKey(r.ref)) ? "no article: cannot be matched (the order flow refuses its lines until it has one)" : `no product with article ${r.sku} in ${side}`);
    result.unmatched.bitrix24 = unmatchedOf(data.products.crm, taken, note("1C")).filter((u) => !inTable(u.ref));
    result.unmatched.onec = unmatchedOf(data.products.onec, taken, note("the CRM")).filter((u) => !inTable(u.ref));
    return result;
  }

  if (entity === "orders" && data.orders) {
    const { pairs, disagreements } = orderInverse(data.orders);
    result.disagreements.push(...disagreements);
    const { fresh, mapped } = againstTable(pairs, table, result.disagreements);
    result.pairs = fresh;
    result.alreadyMapped = mapped;
    take(pairs);
    disagreements.forEach((d) => taken.add(refKey(d.ref)));
    result.unmatched.bitrix24 = unmatchedOf(data.orders.crm, taken, () => "no 1C order carries its inverse id (B24-D-<deal>) and it names none").filter((u) => !inTable(u.ref));
    result.unmatched.onec = unmatchedOf(data.orders.onec, taken, () => "no deal carries its Ref_Key and it names none").filter((u) => !inTable(u.ref));
    return result;
  }

  if (entity !== "customers" || !data.customers) return result;
  const sides = data.customers;
  const { pairs: proven, disagreements } = customerInverse(sides);
  result.disagreements.push(...disagreements);
  disagreements.forEach((d) => taken.add(refKey(d.ref)));
  const { fresh, mapped } = againstTable(proven, table, result.disagreements);
  result.alreadyMapped = mapped;
  take(proven);

  // Who a 1C record is linked to already (by an inverse id or the table): never linked twice.
  const linkedTo = new Map<string, string>();
  for (const p of proven) linkedTo.set(refKey(p.source.system === "onec" ? p.source : p.target), refText(p.source.system === "onec" ? p.target : p.source));
  for (const row of tableRows) {
    if (row.state === "deleted" || !row.target) continue;
    const onec = row.source.system === "onec" ? row.source : row.target;
    linkedTo.set(refKey(onec), refText(row.source.system === "onec" ? row.target : row.source));
  }

  const live1c = sides.onec.filter((c) => !c.deleted);
  const live1cById = new Map(live1c.map((c) => [c.ref.id, c]));
  const index = indexBy(live1c, (c) => customerIndexKeys(c, matching));
  const tentative = new Map<string, Array<{ crm: CustomerRecord; onec: CustomerRecord; keys: string[] }>>();
  for (const crm of sides.crm) {
    if (crm.deleted || taken.has(refKey(crm.ref)) || inTable(crm.ref)) continue;
    const kind = customerKind(crm.ref.entity as "company" | "contact", crm.inn, crm.kpp);
    const lookups = lookupsFor(matching, { kind, inn: crm.inn, kpp: crm.kpp, email: crm.emails[0] ?? null, phone: crm.phones[0] ?? null });
    const found: Found[] = [];
    for (const lookup of lookups) {
      for (const onec of index.get(`${lookup.key}:${lookup.value}`) ?? []) {
        found.push({ key: lookup.key, id: onec.ref.id, label: onec.label, linkedTo: linkedTo.get(refKey(onec.ref)) ?? null });
      }
    }
    const decision = decideMatch(found);
    const summary = `${refText(crm.ref)} ${crm.label}`;
    if (decision.kind === "none") {
      result.unmatched.bitrix24.push({ ref: crm.ref, label: crm.label, note: lookups.length === 0 ? `no business key for a ${kind} (${matching.customer[kind].join(", ") || "none configured"})` : "no 1C counterparty has its keys: the flow creates one when an order needs it" });
    } else if (decision.kind === "ambiguous") {
      result.ambiguous.push({ source: crm.ref, summary, reason: decision.reason, candidates: decision.candidates });
      decision.candidates.forEach((c) => taken.add(`onec:counterparty:${c.id}`));
      taken.add(refKey(crm.ref));
    } else {
      const onec = live1cById.get(decision.id) as CustomerRecord;
      const list = tentative.get(onec.ref.id) ?? [];
      list.push({ crm, onec, keys: decision.keys });
      tentative.set(onec.ref.id, list);
    }
  }
  for (const list of tentative.values()) {
    const onec = (list[0] as { onec: CustomerRecord }).onec;
    taken.add(refKey(onec.ref));
    if (list.length === 1) {
      const { crm, keys } = list[0] as { crm: CustomerRecord; keys: string[] };
      fresh.push({ source: crm.ref, target: onec.ref, by: matchedBy(keys as Parameters<typeof matchedBy>[0]), sourceLabel: crm.label, targetLabel: onec.label });
      taken.add(refKey(crm.ref));
      continue;
    }
    for (const { crm, keys } of list) {
      taken.add(refKey(crm.ref));
      result.ambiguous.push({
        source: crm.ref,
        summary: `${refText(crm.ref)} ${crm.label}`,
        reason: `${list.length} CRM records match the same 1C counterparty (${list.map((l) => refText(l.crm.ref)).join(", ")})`,
        candidates: [{ id: onec.ref.id, label: onec.label, keys, linkedTo: null }],
      });
    }
  }
  result.pairs = fresh;
  result.unmatched.onec = unmatchedOf(sides.onec, taken, () => "no CRM record has its keys (nothing to do: the flow creates a CRM record when an order needs it)").filter((u) => !inTable(u.ref));
  return result;
}
