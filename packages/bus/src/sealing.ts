import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { permanent } from "@concord/contracts";

/**
 * Sealing of dead-lettered payloads: a dead letter keeps its original unmasked, for a retry
 * that writes exactly what was sent, but only encrypted (AES-256-GCM) — at rest in the DLQ
 * stream and in PostgreSQL. People see the masked copy. The key comes from configuration
 * (`CONCORD_DLQ_KEY`); earlier keys (`CONCORD_DLQ_OLD_KEYS`) still open what they sealed, so a
 * key is rotated without losing a letter.
 *
 * Format: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url), the key id the first 8 hex digits
 * of the key's SHA-256, so the right key is found without trying each.
 */
export interface Sealer {
  seal(plain: string): string;
  /** The plain text, or a permanent `DLQ_SEAL_*` error when no configured key opens it. */
  open(sealed: string): string;
  keyId: string;
}

const b64 = (buf: Buffer) => buf.toString("base64url");
const deriveKey = (secret: string) => Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), "concord-dlq-seal-v1", 32));
const keyIdOf = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex").slice(0, 8);

export function createSealer(current: string, old: readonly string[] = []): Sealer {
  if (!current) throw new Error("a DLQ sealing key is required");
  const keys = new Map<string, Buffer>();
  for (const secret of [current, ...old]) if (secret) keys.set(keyIdOf(secret), deriveKey(secret));
  const keyId = keyIdOf(current);
  const key = keys.get(keyId) as Buffer;
  return {
    keyId,
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(`v1.${keyId}`));
      const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return ["v1", keyId, b64(iv), b64(cipher.getAuthTag()), b64(ct)].join(".");
    },
    open(sealed) {
      const [v, id, iv, tag, ct] = sealed.split(".");
      if (v !== "v1" || !id || iv === undefined || tag === undefined || ct === undefined) throw permanent("DLQ_SEAL_INVALID", "the sealed payload is not in a known format");
      const k = keys.get(id);
      if (!k) throw permanent("DLQ_SEAL_UNKNOWN_KEY", `the payload was sealed with key ${id}, which is not configured (CONCORD_DLQ_KEY / CONCORD_DLQ_OLD_KEYS)`);
      try {
        const decipher = createDecipheriv("aes-256-gcm", k, Buffer.from(iv, "base64url"));
        decipher.setAAD(Buffer.from(`v1.${id}`));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
      } catch {
        throw permanent("DLQ_SEAL_INVALID", "the sealed payload does not open with its key (altered or corrupt)");
      }
    },
  };
}

let processSealer: Sealer | null = null;

/** Sets the process-wide sealer (runService does, from CONCORD_DLQ_KEY); null turns sealing off. */
export function configureSealing(sealer: Sealer | null): void {
  processSealer = sealer;
}

export function currentSealer(): Sealer | null {
  return processSealer;
}
