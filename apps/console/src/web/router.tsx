import { randomBytes } from "node:crypto";
import { join } from "node:path";
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from "express";
import helmet from "helmet";
import { parseCookie, stringifySetCookie } from "cookie";
import type { Role } from "@concord/contracts";
import { currentTraceId, masker, type Logger } from "@concord/telemetry";
import type { AuditTrail } from "../audit";
import { can, webOf, type WebContext } from "./context";
import { common, LANG_COOKIE, langOf, type Lang } from "./i18n";
import { Page, sendPage } from "./layout";
import { LoginPage } from "./pages/login";
import { csrfMatches, type SessionStore } from "./sessions";
import { verifyUser, type ConsoleUser } from "./users";

export const SESSION_COOKIE = "concord_session";
const LOGIN_CSRF_COOKIE = "concord_login_csrf";

/** What the web console needs besides each page's own data. */
export interface WebOptions {
  users: readonly ConsoleUser[];
  sessions: SessionStore;
  audit: AuditTrail;
  logger: Logger;
  /** CONSOLE_TIME_ZONE. */
  timeZone: string;
  /** Cookies marked Secure (CONSOLE_COOKIE_SECURE; browsers keep Secure cookies on http://localhost too). */
  secureCookies: boolean;
  /** Each page adds its routes to the signed-in router (`router.get("/records", …)`); see pages/. */
  pages: Array<(router: Router) => void>;
}

/** Only a path on this console may be the page to return to after sign-in (never another site). */
const safeNext = (value: unknown) => (typeof value === "string" && /^\/(?!\/)[^\s\\]*$/.test(value) && !value.startsWith("/login") ? value : "/");

/** 403 for a signed-in person whose role does not include `needed` (the page says which role it needs). */
export function requireWebRole(needed: Role): RequestHandler {
  return (_req, res, next) => {
    const ctx = webOf(res);
    if (can(ctx, needed)) return next();
    sendPage(res, 403, <ErrorPage ctx={ctx} title={common(ctx.lang).forbidden} reason={`${common(ctx.lang).forbidden}: ${needed}`} />);
  };
}

export function ErrorPage(props: { ctx: WebContext; title: string; reason: string }) {
  const t = common(props.ctx.lang);
  return (
    <Page ctx={props.ctx} title={props.title}>
      <p class="notice error" role="alert">
        {props.reason}
      </p>
      <p>
        <a href="/">{t.back}</a>
      </p>
    </Page>
  );
}

/**
 * The web console: sign-in, then the pages, every one behind a session. A session lives in a
 * Secure, HttpOnly, SameSite=Strict cookie; every POST carries the session's CSRF token (the
 * sign-in form a cookie-bound one). Nothing but /login and the stylesheet is visible signed out.
 */
export function createWebRouter(options: WebOptions): Router {
  const web = express.Router();
  web.use(
    helmet({
      contentSecurityPolicy: { directives: { "default-src": ["'self'"], "script-src": ["'none'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"], "form-action": ["'self'"], "frame-ancestors": ["'none'"] } },
      // Not HSTS: the console is often reached by IP on a LAN; a TLS proxy in front sets it.
      strictTransportSecurity: false,
    }),
  );
  web.use("/static", express.static(join(__dirname, "static"), { maxAge: "1h", index: false }));
  web.use(express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 2000 }));

  const cookieOptions = (maxAgeSeconds?: number) => ({ httpOnly: true, secure: options.secureCookies, sameSite: "strict" as const, path: "/", ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}) });
  const setCookie = (res: express.Response, name: string, value: string, maxAgeSeconds?: number) => res.append("Set-Cookie", stringifySetCookie({ name, value, ...cookieOptions(maxAgeSeconds) }));
  const cookiesOf = (req: express.Request) => parseCookie(req.headers.cookie ?? "");

  // The language: ?lang= is remembered for a year.
  web.use((req, res, next) => {
    const cookies = cookiesOf(req);
    const lang = langOf(req, cookies);
    if (req.query.lang === lang && cookies[LANG_COOKIE] !== lang) setCookie(res, LANG_COOKIE, lang, 365 * 24 * 3600);
    res.locals.lang = lang;
    res.locals.cookies = cookies;
    next();
  });
  const langOfRes = (res: express.Response) => res.locals.lang as Lang;

  const showLogin = (req: express.Request, res: express.Response, status: number, error?: string, notice?: string) => {
    const csrf = randomBytes(24).toString("base64url");
    setCookie(res, LOGIN_CSRF_COOKIE, csrf, 3600);
    res.set("Cache-Control", "no-store");
    sendPage(res, status, <LoginPage lang={langOfRes(res)} next={safeNext(req.query.next ?? req.body?.next)} csrf={csrf} error={error} notice={notice} />);
  };

  web.get("/login", (req, res) => showLogin(req, res, 200, undefined, req.query.signedOut === "1" ? common(langOfRes(res)).signedOut : undefined));
  web.post("/login", async (req, res) => {
    const t = common(langOfRes(res));
    const cookies = res.locals.cookies as Record<string, string | undefined>;
    const formCsrf = req.body?._csrf;
    if (typeof formCsrf !== "string" || !cookies[LOGIN_CSRF_COOKIE] || formCsrf !== cookies[LOGIN_CSRF_COOKIE]) return showLogin(req, res, 403, t.csrf);
    const name = typeof req.body?.user === "string" ? req.body.user.slice(0, 100) : "";
    const password = typeof req.body?.password === "string" ? req.body.password.slice(0, 1000) : "";
    const user = await verifyUser(options.users, name, password);
    if (!user) {
      options.logger.warn("sign-in refused", { user: masker.text(name).slice(0, 100), traceId: currentTraceId() });
      return showLogin(req, res, 401, t.badCredentials);
    }
    const { id } = await options.sessions.create(user.name, user.role);
    setCookie(res, SESSION_COOKIE, id);
    setCookie(res, LOGIN_CSRF_COOKIE, "", 0);
    await options.audit.note({ name: user.name, role: user.role }, "sign-in", { kind: "user", id: user.name }, "ok", "signed in to the web console");
    res.redirect(303, safeNext(req.body?.next));
  });

  // Everything below needs a session.
  web.use(async (req, res, next) => {
    const cookies = res.locals.cookies as Record<string, string | undefined>;
    const id = cookies[SESSION_COOKIE];
    let session = id ? await options.sessions.get(id) : null;
    // The user as configured now: a removed user's session ends, a changed role applies at once.
    const user = session ? options.users.find((u) => u.name === session?.user) : undefined;
    if (session && !user) {
      await options.sessions.destroy(id ?? "");
      session = null;
    }
    if (!session || !user) {
      if (req.method === "GET" || req.method === "HEAD") return res.redirect(303, `/login?next=${encodeURIComponent(safeNext(req.originalUrl))}`);
      return showLogin(req, res, 401, common(langOfRes(res)).badCredentials);
    }
    const ctx: WebContext = { user: { name: user.name, role: user.role }, session, lang: langOfRes(res), timeZone: options.timeZone, url: req.originalUrl };
    res.locals.web = ctx;
    // The audit trail and the API's role checks read the caller from here.
    res.locals.caller = ctx.user;
    res.set("Cache-Control", "no-store");
    if (req.method !== "GET" && req.method !== "HEAD" && !csrfMatches(session, req.body?._csrf)) {
      return sendPage(res, 403, <ErrorPage ctx={ctx} title={common(ctx.lang).failed} reason={common(ctx.lang).csrf} />);
    }
    next();
  });

  web.post("/logout", async (_req, res) => {
    const ctx = webOf(res);
    const cookies = res.locals.cookies as Record<string, string | undefined>;
    await options.sessions.destroy(cookies[SESSION_COOKIE] ?? "");
    setCookie(res, SESSION_COOKIE, "", 0);
    await options.audit.note(ctx.user, "sign-out", { kind: "user", id: ctx.user.name }, "ok", "signed out of the web console");
    res.redirect(303, "/login?signedOut=1");
  });

  for (const addPage of options.pages) addPage(web);

  web.use((_req, res) => {
    const ctx = webOf(res);
    sendPage(res, 404, <ErrorPage ctx={ctx} title={common(ctx.lang).notFound} reason={common(ctx.lang).notFound} />);
  });
  const errors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    if (res.headersSent) return;
    const ctx = res.locals.web as WebContext | undefined;
    const code = (error as { code?: unknown })?.code;
    const reason = masker.text(`${typeof code === "string" ? `${code}: ` : ""}${String((error as Error)?.message ?? error)}`).slice(0, 500);
    const traceId = currentTraceId();
    options.logger.warn("web request failed", { error, traceId });
    if (!ctx) return void res.status(500).type("text").send("internal error");
    const status = typeof (error as { status?: unknown })?.status === "number" ? (error as { status: number }).status : 500;
    sendPage(res, status >= 400 && status < 600 ? status : 500, <ErrorPage ctx={ctx} title={common(ctx.lang).failed} reason={`${reason}${traceId ? ` (trace ${traceId})` : ""}`} />);
  };
  web.use(errors);
  return web;
}
