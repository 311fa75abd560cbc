/**
 * What 1C does to a string it stores: it cuts it to the attribute's length, and `$metadata`
 * does not say the length. The writer learns it from what 1C returns after a write, so the next
 * comparison of the same value is made as 1C would store it and sends nothing.
 */
export function createStoredForms() {
  const lengths = new Map<string, number>();
  const chars = (s: string) => [...s];

  return {
    /** After a write: every string field sent that came back cut tells its attribute's length. */
    learn(set: string, sent: Record<string, unknown>, stored: Record<string, unknown>): void {
      for (const [field, value] of Object.entries(sent)) {
        const kept = stored[field];
        if (typeof value !== "string" || typeof kept !== "string" || kept === value) continue;
        if (kept.length > 0 && value.startsWith(kept)) lengths.set(`${set}.${field}`, chars(kept).length);
      }
    },
    /** Whether 1C already holds `wanted` in its stored form (equal, trimmed, or cut to the learned length). */
    holds(set: string, field: string, wanted: string, stored: unknown): boolean {
      if (typeof stored !== "string") return false;
      if (stored === wanted || stored === wanted.trim()) return true;
      const length = lengths.get(`${set}.${field}`);
      return length !== undefined && chars(wanted).slice(0, length).join("") === stored;
    },
  };
}
export type StoredForms = ReturnType<typeof createStoredForms>;
