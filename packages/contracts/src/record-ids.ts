import type { z } from "zod";
import type { Entity, System } from "./systems";

/**
 * What a record id looks like in each system, checked wherever an id enters Concord (the
 * console, the contracts, both API clients). An id is data that ends up in a URL or a query of
 * a target called with Concord's credentials: a 1C "id" such as `x')/../../Catalog_Users`
 * must never become a path on the 1C server.
 */

/** A 1C reference (`Ref_Key`): a GUID, nothing else. */
export const ONEC_REF_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A Bitrix24 record id: a positive integer without sign, leading zero or spaces (at most 18 digits). */
export const BITRIX24_ID = /^[1-9][0-9]{0,17}$/;

/** Record kinds each system has. */
export const entitiesOf = {
  bitrix24: ["deal", "company", "contact", "product"],
  onec: ["order", "counterparty", "partner", "product"],
} as const satisfies Record<System, readonly Entity[]>;

/** Why `id` is not a valid id of a `system` `entity`, or null when it is. */
export function recordIdProblem(system: System, entity: Entity, id: unknown): string | null {
  if (!(entitiesOf[system] as readonly Entity[]).includes(entity)) return `${system} has no ${entity} records`;
  if (typeof id !== "string") return "the id must be text";
  if (system === "onec") return ONEC_REF_KEY.test(id) ? null : "a 1C id must be a Ref_Key GUID (8-4-4-4-12 hex digits)";
  return BITRIX24_ID.test(id) ? null : "a Bitrix24 id must be a positive integer";
}

export function isValidRecordId(system: System, entity: Entity, id: unknown): id is string {
  return recordIdProblem(system, entity, id) === null;
}

/** Zod check for an object with `system`, `entity` and an id field (`id` or `sourceId`): the issue names the id field. */
export function checkRecordId<K extends string>(idField: K) {
  return (value: { system: System; entity: Entity } & Record<K, string>, ctx: z.RefinementCtx) => {
    const problem = recordIdProblem(value.system, value.entity, value[idField]);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: [idField] });
  };
}
