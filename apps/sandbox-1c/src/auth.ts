import { timingSafeEqual } from "node:crypto";

/** HTTP Basic as the 1C web publication checks it; credentials are UTF-8 (cp1251 logins fail). */
export function checkBasicAuth(header: string | undefined, user: string, password: string): boolean {
  if (!header) return false;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return false;
  const decoded = Buffer.from(m[1] ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return false;
  return safeEqual(decoded.slice(0, colon), user) && safeEqual(decoded.slice(colon + 1), password);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

export const WWW_AUTHENTICATE = 'Basic realm="1C:Enterprise"';
