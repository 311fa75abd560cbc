/**
 * DataVersion as the platform shows it: an opaque 8-byte value in base64. On the real server it
 * is a write counter (`AAAAAAAAAAA=` after creation, `AAAAAAAAAAE=` after the next write), so the
 * sandbox keeps a per-object counter and encodes it big-endian.
 */
export function encodeDataVersion(counter: bigint | number): string {
  const value = BigInt(counter);
  if (value < 0n || value > 0xffffffffffffffffn) throw new RangeError("DataVersion counter out of range");
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64BE(value);
  return buf.toString("base64");
}

/** The counter behind a DataVersion string, or null when it is not 8 bytes of base64. */
export function decodeDataVersion(text: string): bigint | null {
  if (!/^[A-Za-z0-9+/]{11}=$/.test(text)) return null;
  const buf = Buffer.from(text, "base64");
  if (buf.length !== 8) return null;
  return buf.readBigUInt64BE();
}
