import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Kvm, type KV } from "@nats-io/kv";
import type { Role } from "@concord/contracts";
import type { Bus } from "@concord/bus";

/** A signed-in person's session: who, with which role, and the token every form must carry back. */
export interface Session {
  user: string;
  role: Role;
  csrf: string;
  createdAt: number;
  /** Renewed on use; the session ends after `idleMs` without one, and after `maxAgeMs` in any case. */
  seenAt: number;
}

export interface SessionStore {
  /** A new session; its id goes in the cookie and nowhere else. */
  create(user: string, role: Role): Promise<{ id: string; session: Session }>;
  get(id: string): Promise<Session | null>;
  destroy(id: string): Promise<void>;
}

export interface SessionTimes {
  idleMs: number;
  maxAgeMs: number;
}

// The KV key is a hash of the id: whoever can read the bucket still cannot use a session.
const keyOf = (id: string) => createHash("sha256").update(id, "utf8").digest("hex");
const ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Sessions in a NATS KV bucket shared by every console replica (a sign-in on one is valid on the
 * other), expired by the bucket's TTL as well as by the times checked here.
 */
export async function openSessionStore(bus: Bus, bucket: string, times: SessionTimes, now: () => number = Date.now): Promise<SessionStore> {
  const kv: KV = await new Kvm(bus.nc).create(bucket, { history: 1, ttl: times.maxAgeMs });
  // Renewing writes; once a minute per session is enough for an idle limit measured in minutes.
  const RENEW_AFTER_MS = 60_000;
  return {
    async create(user, role) {
      const id = randomBytes(32).toString("base64url");
      const at = now();
      const session: Session = { user, role, csrf: randomBytes(32).toString("base64url"), createdAt: at, seenAt: at };
      await kv.put(keyOf(id), JSON.stringify(session));
      return { id, session };
    },
    async get(id) {
      if (!ID.test(id)) return null;
      const entry = await kv.get(keyOf(id));
      if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return null;
      const session = entry.json<Session>();
      const at = now();
      if (at - session.seenAt > times.idleMs || at - session.createdAt > times.maxAgeMs) {
        await kv.delete(keyOf(id));
        return null;
      }
      if (at - session.seenAt > RENEW_AFTER_MS) await kv.put(keyOf(id), JSON.stringify({ ...session, seenAt: at }));
      return session;
    },
    async destroy(id) {
      if (ID.test(id)) await kv.delete(keyOf(id));
    },
  };
}

/** The form's CSRF token against the session's, in constant time. */
export function csrfMatches(session: Session, given: unknown): boolean {
  if (typeof given !== "string") return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(session.csrf).digest();
  return timingSafeEqual(a, b);
}
