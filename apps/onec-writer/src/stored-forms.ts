/** Where learned lengths are kept, shared by every replica (the NATS state store in production). */
export interface LengthStore {
  get(key: string): Promise<number | null>;
  put(key: string, length: number): Promise<void>;
}

/**
 * What 1C does to a string it stores: it cuts it to the attribute's length, and `$metadata`
 * does not say the length. The writer learns it from what 1C returns after a write — shared by
 * every replica, so whichever one writes next — and compares the next value as 1C would store
 * it, sending nothing when 1C already holds that.
 */
export function createStoredForms(store: LengthStore) {
  const known = new Map<string, number>();
  const chars = (s: string) => [...s];
  // KV keys take ASCII only: the Cyrillic set and field names go in as hex.
  const keyOf = (set: string, field: string) => `onec.length.${Buffer.from(`${set}.${field}`, "utf8").toString("hex")}`;

  async function lengthOf(key: string): Promise<number | null> {
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    const shared = await store.get(key);
    if (shared !== null) known.set(key, shared);
    return shared;
  }

  return {
    /** After a write: every string field sent that came back cut tells its attribute's length. */
    async learn(set: string, sent: Record<string, unknown>, stored: Record<string, unknown>): Promise<void> {
      for (const [field, value] of Object.entries(sent)) {
        const kept = stored[field];
        if (typeof value !== "string" || typeof kept !== "string" || kept === value || kept.length === 0 || !value.startsWith(kept)) continue;
        const key = keyOf(set, field);
        const length = chars(kept).length;
        if (known.get(key) === length) continue;
        known.set(key, length);
        await store.put(key, length);
      }
    },
    /** Whether 1C already holds `wanted` in its stored form (equal, trimmed, or cut to the learned length). */
    async holds(set: string, field: string, wanted: string, stored: unknown): Promise<boolean> {
      if (typeof stored !== "string") return false;
      if (stored === wanted || stored === wanted.trim()) return true;
      // Only a prefix can be a cut form: nothing to look up otherwise.
      if (!wanted.startsWith(stored)) return false;
      const length = await lengthOf(keyOf(set, field));
      return length !== null && chars(wanted).slice(0, length).join("") === stored;
    },
  };
}
export type StoredForms = ReturnType<typeof createStoredForms>;
