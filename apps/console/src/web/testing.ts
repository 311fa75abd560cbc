import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Router } from "express";

/**
 * Test helpers for the web console's pages over HTTP (integration tests only): the web router
 * served on a loopback port, and a cookie jar that keeps what a browser would between requests,
 * signs in, and reads a page's form token.
 */

/** A web router (createWebRouter) served on a free loopback port: its base URL, and how to close it. */
export async function serveWeb(router: Router): Promise<{ base: string; close: () => Promise<void> }> {
  const app = express();
  app.use(router);
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The CSRF token of a page's forms (every signed-in page has one in its sign-out form). */
export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

/** A tiny cookie jar against one console (`base`, e.g. http://127.0.0.1:1234): no redirects followed. */
export class Browser {
  cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  async fetch(path: string, init: RequestInit = {}) {
    const res = await fetch(`${this.base}${path}`, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const [name = "", value = ""] = pair.split("=");
      if (value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** A page's status and HTML. */
  async page(path: string) {
    const res = await this.fetch(path);
    return { status: res.status, html: await res.text(), location: res.headers.get("location") };
  }

  async form(path: string, fields: Record<string, string>) {
    return this.fetch(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
  }

  async signIn(user: string, password: string) {
    const page = await (await this.fetch("/login")).text();
    return this.form("/login", { _csrf: csrfOf(page), user, password, next: "/" });
  }

  /** Posts a form the way the page `from` would: with that page's CSRF token. */
  async submit(from: string, action: string, fields: Record<string, string> = {}) {
    const { html } = await this.page(from);
    return this.form(action, { _csrf: csrfOf(html), ...fields });
  }
}
