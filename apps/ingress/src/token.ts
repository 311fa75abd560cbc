import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * Compares a presented secret with the expected one in constant time. Both sides are hashed
 * first so the comparison is over equal-length buffers and the time taken reveals neither the
 * expected length nor how many leading characters matched. Anything that is not a non-empty
 * string (missing, or an array/object from form-field nesting) never matches.
 */
export function tokensEqual(presented: unknown, expected: string): boolean {
  if (typeof presented !== "string" || presented.length === 0 || expected.length === 0) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}
