import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler, Response } from "express";
import { roleAllows, type Role } from "@concord/contracts";
import type { ApiToken } from "./tokens";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/** Who is calling: the token's name and role (set by requireBearer). */
export interface Caller {
  name: string;
  role: Role;
}

export const callerOf = (res: Response): Caller => res.locals.caller as Caller;

/**
 * `Authorization: Bearer <token>`, compared in constant time against every configured token
 * (both sides hashed first, so neither the content nor the length of a token leaks through
 * timing, and every token is compared whichever matches). 401 otherwise; the caller's name and
 * role go to `res.locals.caller`.
 */
export function requireBearer(tokens: readonly ApiToken[]): RequestHandler {
  const expected = tokens.map((t) => ({ digest: digest(t.token), caller: { name: t.name, role: t.role } }));
  return (req, res, next) => {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    let found: Caller | undefined;
    if (match?.[1]) {
      const given = digest(match[1]);
      for (const t of expected) if (timingSafeEqual(given, t.digest) && !found) found = t.caller;
    }
    if (found) {
      res.locals.caller = found;
      return next();
    }
    res.set("WWW-Authenticate", 'Bearer realm="concord"').status(401).json({ error: "unauthorized", reason: "send Authorization: Bearer <an API token of the console>" });
  };
}

/** 403 unless the caller's role includes `needed`. */
export function requireRole(needed: Role): RequestHandler {
  return (_req, res, next) => {
    const caller = callerOf(res);
    if (caller && roleAllows(caller.role, needed)) return next();
    res.status(403).json({ error: "forbidden", reason: `needs the ${needed} role; this token (${caller?.name ?? "?"}) is ${caller?.role ?? "none"}` });
  };
}
