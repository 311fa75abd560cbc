import type { Response } from "express";
import { roleAllows, type Role } from "@concord/contracts";
import type { Lang } from "./i18n";
import type { Session } from "./sessions";

/** What every page handler knows about the request: who, in which language, and the form token. */
export interface WebContext {
  user: { name: string; role: Role };
  session: Session;
  lang: Lang;
  /** CONSOLE_TIME_ZONE: the zone times are shown in. */
  timeZone: string;
  /** The path and query of this page (the language switch and sign-in come back to it). */
  url: string;
}

export const webOf = (res: Response): WebContext => res.locals.web as WebContext;

/** Whether the signed-in person's role includes `needed` (pages hide what the role may not do; the POST routes refuse it). */
export const can = (ctx: WebContext, needed: Role) => roleAllows(ctx.user.role, needed);
