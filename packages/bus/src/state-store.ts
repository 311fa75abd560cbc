import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { Subjects } from "@concord/contracts";
import type { Bus } from "./connection";

/**
 * Small durable state shared by replicas — sweep cursors and who runs a sweep now — in a
 * JetStream key-value bucket (works on NATS 2.9), updated by compare-and-set on the revision.
 */
export interface StateStore {
  getJson<T>(key: string): Promise<{ value: T; revision: number } | null>;
  putJson(key: string, value: unknown): Promise<void>;
  /** Takes or renews a lease for `ttlMs`; false while another owner holds an unexpired one. */
  tryLease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Writes `value` only if the key is still at `revision` (null: only if it holds no value), the
   * revision `getJson` returned. False when another replica wrote first: read again and retry.
   * Any other failure (NATS unreachable) throws.
   */
  compareAndSet(key: string, value: unknown, revision: number | null): Promise<boolean>;
  /** Deletes the key's value (a no-op when it holds none). */
  remove(key: string): Promise<void>;
}

const isRevisionConflict = (error: unknown) =>
  error instanceof JetStreamApiError &&
  (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);

export async function openStateStore(bus: Bus, subjects: Subjects): Promise<StateStore> {
  const kv: KV = await new Kvm(bus.nc).create(subjects.stateBucket, { history: 1 });
  const getJson = async <T>(key: string) => {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return null;
    return { value: entry.json<T>(), revision: entry.revision };
  };
  return {
    getJson,
    putJson: async (key, value) => {
      await kv.put(key, JSON.stringify(value));
    },
    tryLease: async (key, owner, ttlMs) => {
      const now = Date.now();
      const next = JSON.stringify({ owner, until: now + ttlMs });
      const current = await getJson<{ owner: string; until: number }>(key);
      try {
        if (!current) await kv.create(key, next);
        else if (current.value.owner === owner || current.value.until < now) await kv.update(key, next, current.revision);
        else return false;
        return true;
      } catch {
        return false; // another replica won the compare-and-set
      }
    },
    remove: async (key) => {
      await kv.delete(key);
    },
    compareAndSet: async (key, value, revision) => {
      const data = JSON.stringify(value);
      try {
        if (revision === null) await kv.create(key, data);
        else await kv.update(key, data, revision);
        return true;
      } catch (error) {
        if (isRevisionConflict(error)) return false;
        throw error;
      }
    },
  };
}
