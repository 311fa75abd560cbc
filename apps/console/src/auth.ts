import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * `Authorization: Bearer <token>`, compared in constant time (both sides hashed first, so
 * neither the content nor the length of the token leaks through timing). 401 otherwise.
 */
export function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] && timingSafeEqual(digest(match[1]), expected)) return next();
    res.set("WWW-Authenticate", 'Bearer realm="concord"').status(401).json({ error: "unauthorized", reason: "send Authorization: Bearer <CONSOLE_API_TOKEN>" });
  };
}
