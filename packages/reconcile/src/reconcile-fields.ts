export type Side = "crm" | "erp";

export interface FieldConflict<F extends string> {
  field: F;
  crmValue: unknown;
  onecValue: unknown;
  winner: "bitrix24" | "onec";
  rule: string;
}

export interface FieldRules<F extends string, V extends Record<F, unknown>> {
  fields: readonly F[];
  /** The field's master for this pair now. */
  masterOf(field: F): Side;
  /** The two sides hold the same value (e.g. statuses equal through the status map). */
  agree(field: F, crm: V[F], onec: V[F]): boolean;
  /** The master's value in the other side's terms; undefined when that direction cannot be written. */
  toOnec(field: F, crm: V): V[F] | undefined;
  toCrm(field: F, onec: V): V[F] | undefined;
  rule(field: F, master: Side): string;
}

export interface FieldDecision<F extends string, V extends Record<F, unknown>> {
  toOnec: Partial<V>;
  toCrm: Partial<V>;
  conflicts: Array<FieldConflict<F>>;
  /** Fields that differ but cannot be written in the master's direction (reported, not lost). */
  unsupported: F[];
  next: { crm: V; onec: V };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The master still holds the value once sent, and the target still holds its stored form of it. */
function storedAsSent<F extends string, V extends Record<F, unknown>>(sent: Partial<V> | undefined, stored: V | null, field: F, master: V[F], target: V[F]): boolean {
  return sent !== undefined && field in sent && stored !== null && same(sent[field], master) && same(stored[field], target);
}

/**
 * Decides one pair from both sides' current views and their views at the last sync. Per field:
 * when the sides agree, nothing; otherwise the field's master wins and its value is written to
 * the other side. A field changed on both sides since the last sync is a conflict, resolved the
 * same way and reported. Writing only where values differ is what stops echoes and write loops:
 * after a write both sides agree, so the event our own write causes decides "nothing to do".
 */
export function reconcileFields<F extends string, V extends Record<F, unknown>>(
  rules: FieldRules<F, V>,
  crm: V,
  onec: V,
  last: { crm: V | null; onec: V | null; sentToCrm?: Partial<V>; sentToOnec?: Partial<V> },
): FieldDecision<F, V> {
  const toOnec: Partial<V> = {};
  const toCrm: Partial<V> = {};
  const conflicts: Array<FieldConflict<F>> = [];
  const unsupported: F[] = [];
  for (const field of rules.fields) {
    if (rules.agree(field, crm[field], onec[field])) continue;
    // The target keeps the value Concord sent in its own form (cut, trimmed, rounded): agreed.
    if (storedAsSent(last.sentToOnec, last.onec, field, crm[field], onec[field]) || storedAsSent(last.sentToCrm, last.crm, field, onec[field], crm[field])) continue;
    const master = rules.masterOf(field);
    const crmChanged = last.crm === null || !same(crm[field], last.crm[field]);
    const onecChanged = last.onec === null || !same(onec[field], last.onec[field]);
    if (last.crm !== null && last.onec !== null && crmChanged && onecChanged) {
      conflicts.push({ field, crmValue: crm[field], onecValue: onec[field], winner: master === "crm" ? "bitrix24" : "onec", rule: rules.rule(field, master) });
    }
    const value = master === "crm" ? rules.toOnec(field, crm) : rules.toCrm(field, onec);
    if (value === undefined) unsupported.push(field);
    else if (master === "crm") toOnec[field] = value;
    else toCrm[field] = value;
  }
  return { toOnec, toCrm, conflicts, unsupported, next: { crm: { ...crm, ...toCrm }, onec: { ...onec, ...toOnec } } };
}
