import { createHash, randomUUID } from "node:crypto";

/** The empty reference as 1C serialises it. */
export const EMPTY_GUID = "00000000-0000-0000-0000-000000000000";

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID_RE.test(value);
}

export function newGuid(): string {
  return randomUUID();
}

/**
 * A stable GUID derived from a name (UUID v5 layout over SHA-1), so seeded objects keep their
 * Ref_Key across restarts.
 */
export function deterministicGuid(name: string): string {
  const bytes = createHash("sha1").update(`concord-sandbox-1c:${name}`, "utf8").digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
