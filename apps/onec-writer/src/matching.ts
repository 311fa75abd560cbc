import type { MatchRequest, RecordRef } from "@concord/contracts";
import type { MappingClient } from "@concord/bus";
import { odataString, type OnecClient, type OnecRecord } from "@concord/onec-client";
import { decideMatch, linkedToOf, type Found, type MatchDecision } from "@concord/policy";
import { OnecSets } from "./projection";

/** The OData filter of one key's lookup: 1C compares exactly, so every form of the value is tried. */
export function counterpartyFilter(key: MatchRequest["lookups"][number]["key"], variants: string[]): string {
  const anyOf = (field: string) => `(${variants.map((v) => `${field} eq ${odataString(v)}`).join(" or ")})`;
  const contact = (type: string) => `КонтактнаяИнформация/any(d: d/Тип eq ${odataString(type)} and ${anyOf("d/Представление")})`;
  const live = "DeletionMark eq false";
  switch (key) {
    case "innKpp": {
      const [inn, kpp] = (variants[0] ?? "").split("/");
      return `ИНН eq ${odataString(inn ?? "")} and КПП eq ${odataString(kpp ?? "")} and ${live}`;
    }
    case "inn":
      return `${anyOf("ИНН")} and ${live}`;
    case "email":
      return `${contact("АдресЭлектроннойПочты")} and ${live}`;
    case "phone":
      return `${contact("Телефон")} and ${live}`;
  }
}

/** What a person recognises a counterparty by. */
export function counterpartyLabel(record: OnecRecord): string {
  const inn = record.ИНН ? ` · ИНН ${String(record.ИНН)}${record.КПП ? `/${String(record.КПП)}` : ""}` : "";
  const contacts = Array.isArray(record.КонтактнаяИнформация) ? (record.КонтактнаяИнформация as Array<Record<string, unknown>>) : [];
  const email = contacts.find((c) => c.Тип === "АдресЭлектроннойПочты")?.Представление;
  return `${String(record.Description ?? "")}${inn}${email ? ` · ${String(email)}` : ""}`.slice(0, 300);
}

/**
 * Looks for counterparties already in 1C by the command's business keys, and says which of them
 * another record is linked to already — then the pure rule decides: link, create or ask.
 */
export function createCounterpartyMatcher(onec: OnecClient, mapping: MappingClient) {
  return async function match(request: MatchRequest, self: RecordRef, selfPairId: number): Promise<MatchDecision> {
    const found: Found[] = [];
    const seen = new Map<string, string | null>();
    for (const lookup of request.lookups) {
      const variants = lookup.key === "innKpp" ? [lookup.value] : lookup.variants;
      const records = await onec.list(OnecSets.counterparty, { filter: counterpartyFilter(lookup.key, variants), top: 10 });
      for (const record of records) {
        const id = record.Ref_Key.toLowerCase();
        if (!seen.has(id)) seen.set(id, await linkedToOf({ system: "onec", entity: "counterparty", id }, self, selfPairId, mapping.resolve));
        found.push({ key: lookup.key, id, label: counterpartyLabel(record), linkedTo: seen.get(id) ?? null });
      }
    }
    return decideMatch(found);
  };
}
