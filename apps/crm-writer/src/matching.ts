import type { MatchRequest, RecordRef } from "@concord/contracts";
import type { MappingClient } from "@concord/bus";
import type { Bitrix24Client, Bitrix24Record } from "@concord/bitrix24-client";
import { decideMatch, linkedToOf, type Found, type MatchDecision } from "@concord/policy";

type Lookup = MatchRequest["lookups"][number];

/**
 * Looks for companies or contacts already in Bitrix24 by a 1C counterparty's business keys:
 * INN and KPP live in requisites (`crm.requisite.list`, then the requisite's ENTITY_ID), e-mail
 * and phone are multi-fields that list filters match exactly (so each form of the value is
 * tried). Then the pure rule decides: link, create or ask a person.
 */
export function createCustomerMatcher(client: Bitrix24Client, mapping: MappingClient) {
  async function ids(method: string, filter: Record<string, unknown>, idField: string): Promise<string[]> {
    const page = await client.call<{ result: Bitrix24Record[] }>(method, { filter, select: [idField], order: { ID: "ASC" }, start: -1 });
    return page.result.map((r) => String(r[idField]));
  }

  async function lookup(entity: "company" | "contact", { key, value, variants }: Lookup): Promise<string[]> {
    const entityTypeId = entity === "company" ? 4 : 3;
    if (key === "innKpp") {
      const [inn, kpp] = value.split("/");
      return ids("crm.requisite.list", { ENTITY_TYPE_ID: entityTypeId, RQ_INN: inn, RQ_KPP: kpp }, "ENTITY_ID");
    }
    const found: string[] = [];
    for (const variant of variants) {
      const filter = key === "inn" ? { ENTITY_TYPE_ID: entityTypeId, RQ_INN: variant } : { [key === "email" ? "EMAIL" : "PHONE"]: variant };
      found.push(...(await ids(key === "inn" ? "crm.requisite.list" : `crm.${entity}.list`, filter, key === "inn" ? "ENTITY_ID" : "ID")));
    }
    return [...new Set(found)];
  }

  return async function match(entity: "company" | "contact", request: MatchRequest, self: RecordRef, selfPairId: number): Promise<MatchDecision> {
    const found: Array<Omit<Found, "label">> = [];
    for (const l of request.lookups) for (const id of await lookup(entity, l)) found.push({ key: l.key, id, linkedTo: null });
    const distinct = [...new Set(found.map((f) => f.id))];
    if (distinct.length === 0) return { kind: "none" };
    // One page names every candidate (a person needs more than an id); deleted ones drop out here.
    const named = await client.call<{ result: Bitrix24Record[] }>(`crm.${entity}.list`, { filter: { "@ID": distinct }, select: ["ID", entity === "company" ? "TITLE" : "NAME", "EMAIL"], start: -1 });
    const labels = new Map(named.result.map((r) => [String(r.ID), `${entity} ${String(r.ID)} «${String(r.TITLE ?? r.NAME ?? "")}»`]));
    const linked = new Map<string, string | null>();
    for (const id of distinct) linked.set(id, await linkedToOf({ system: "bitrix24", entity, id }, self, selfPairId, mapping.resolve));
    return decideMatch(found.filter((f) => labels.has(f.id)).map((f) => ({ ...f, label: labels.get(f.id) ?? f.id, linkedTo: linked.get(f.id) ?? null })));
  };
}
