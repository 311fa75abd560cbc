import type { ComponentChildren, JSX } from "preact";
import { renderToString } from "preact-render-to-string";
import type { Response } from "express";
import { common, LANGS, type Lang } from "./i18n";
import type { WebContext } from "./context";

export type NavItem = "home" | "records" | "failures" | "deadLetters" | "decisions" | "flows" | "audit";

const NAV: Array<{ key: NavItem; href: string }> = [
  { key: "home", href: "/" },
  { key: "records", href: "/records" },
  { key: "failures", href: "/failures" },
  { key: "deadLetters", href: "/dead-letters" },
  { key: "decisions", href: "/decisions" },
  { key: "flows", href: "/flows" },
  { key: "audit", href: "/audit" },
];

/** The other language's link for this very page. */
function switchLangHref(url: string, lang: Lang): string {
  const other = LANGS.find((l) => l !== lang) ?? "en";
  const u = new URL(url, "http://console.invalid");
  u.searchParams.set("lang", other);
  return `${u.pathname}${u.search}`;
}

/** A notice above the page's content: `ok` after an action, `error` when it failed. */
export interface Notice {
  kind: "ok" | "error";
  text: string;
}

/** Every page's head: one stylesheet, a phone's viewport, no script. */
export function Head(props: { title: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{props.title}</title>
      <link rel="stylesheet" href="/static/console.css" />
    </head>
  );
}

/** The frame of every signed-in page: navigation, who is signed in, the language switch, sign out. */
export function Page(props: { ctx: WebContext; title: string; active?: NavItem; notice?: Notice | undefined; children: ComponentChildren }) {
  const { ctx } = props;
  const t = common(ctx.lang);
  const roleName = { viewer: t.roleViewer, operator: t.roleOperator, admin: t.roleAdmin }[ctx.user.role];
  return (
    <html lang={ctx.lang}>
      <Head title={`${props.title} · ${t.product}`} />
      <body>
        <header class="top">
          <a class="brand" href="/">
            {t.product}
          </a>
          <nav>
            {NAV.map((item) => (
              <a href={item.href} class={item.key === props.active ? "active" : undefined} aria-current={item.key === props.active ? "page" : undefined}>
                {t[item.key]}
              </a>
            ))}
          </nav>
          <div class="who">
            <span data-testid="signed-in-as">
              {ctx.user.name} · {roleName}
            </span>
            <a href={switchLangHref(ctx.url, ctx.lang)}>{t.language}</a>
            <PostForm action="/logout" csrf={ctx.session.csrf} class="inline">
              <button type="submit" class="link">
                {t.signOut}
              </button>
            </PostForm>
          </div>
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.notice && (
            <p class={`notice ${props.notice.kind}`} role={props.notice.kind === "error" ? "alert" : "status"}>
              {props.notice.text}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A POST form carrying the session's CSRF token (every state-changing request is one). */
export function PostForm(props: { action: string; csrf: string; class?: string; children: ComponentChildren }) {
  return (
    <form method="post" action={props.action} class={props.class}>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}

/** Renders a page as a complete HTML document. */
export function sendPage(res: Response, status: number, page: JSX.Element) {
  res.status(status).type("html").send(`<!doctype html>${renderToString(page)}`);
}
