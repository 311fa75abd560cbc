import { connectBus, type Bus } from "@concord/bus";
import { useTestBus } from "@concord/bus/testing";
import { testNatsUrl } from "@concord/testkit";
import { createLogger } from "@concord/telemetry";
import { PassThrough } from "node:stream";
import { createAuditTrail } from "../audit";
import { fakeAuditBackend } from "../testing-fakes";
import { requireWebRole, createWebRouter } from "./router";
import { openSessionStore } from "./sessions";
import { Browser, csrfOf, serveWeb } from "./testing";
import { hashPassword, type ConsoleUser } from "./users";

// Sessions in the real NATS KV; the audit trail in memory (mapping is not what is tested here).
const testBus = useTestBus("websignin");
const backend = fakeAuditBackend();
let first: { base: string; close: () => Promise<void> };
let users: ConsoleUser[];

let second: { base: string; close: () => Promise<void>; bus: Bus } | undefined;

/** One console replica: its own session store on the bus given, the same users and audit trail. */
async function startReplica(bus: Bus): Promise<{ base: string; close: () => Promise<void> }> {
  const logger = createLogger("console-test", "error", new PassThrough());
  const sessions = await openSessionStore(bus, testBus.subjects.sessionsBucket, { idleMs: 60_000, maxAgeMs: 3_600_000 });
  const web = createWebRouter({
    users,
    sessions,
    audit: createAuditTrail(backend, logger),
    logger,
    timeZone: "Europe/Moscow",
    secureCookies: false,
    pages: [
      (router) => {
        router.get("/", (_req, res) => void res.type("text").send(`home of ${res.locals.caller.name}`));
        router.post("/act", requireWebRole("operator"), (_req, res) => void res.type("text").send("acted"));
      },
    ],
  });
  return serveWeb(web);
}

beforeAll(async () => {
  users = [
    { name: "anna", role: "operator", passwordHash: await hashPassword("anna-password-1", 4) },
    { name: "boris", role: "viewer", passwordHash: await hashPassword("boris-password-1", 4) },
  ];
  first = await startReplica(testBus.bus());
});
afterAll(async () => {
  await first?.close();
  if (second) {
    await second.close();
    await second.bus.nc.close();
  }
});

it("shows nothing signed out: a page redirects to sign-in, a form is refused", async () => {
  const b = new Browser(first.base);
  const res = await b.fetch("/records?q=42");
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/login?next=%2Frecords%3Fq%3D42");
  expect((await b.form("/act", { _csrf: "x" })).status).toBe(401);
});

it("signs in with the right password only, and records it in the audit trail", async () => {
  const b = new Browser(first.base);
  const wrong = await b.signIn("anna", "not-her-password");
  expect(wrong.status).toBe(401);
  expect(await wrong.text()).toContain("wrong password");
  expect((await b.signIn("nobody", "anna-password-1")).status).toBe(401);
  const russian = await b.fetch("/login", { headers: { "accept-language": "ru-RU,ru;q=0.9,en;q=0.5" } });
  expect(await russian.text()).toContain("Пароль");
  const right = await b.signIn("Anna", "anna-password-1");
  expect(right.status).toBe(303);
  const cookie = right.headers.getSetCookie().find((c) => c.startsWith("concord_session="));
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  expect(await (await b.fetch("/")).text()).toBe("home of anna");
  expect(backend.entries.some((e) => e.action === "sign-in" && e.actor === "anna")).toBe(true);
});

it("refuses a form without the session's CSRF token, and a role below the action's", async () => {
  const anna = new Browser(first.base);
  await anna.signIn("anna", "anna-password-1");
  const page = await (await anna.fetch("/login")).text();
  expect(page).toContain("_csrf");
  expect((await anna.form("/act", { _csrf: "forged" })).status).toBe(403);

  const boris = new Browser(first.base);
  await boris.signIn("boris", "boris-password-1");
  // The session's own token: read from a signed-in page's sign-out form.
  const home = await boris.fetch("/nowhere");
  const token = csrfOf(await home.text());
  expect(token).not.toBe("");
  const refused = await boris.form("/act", { _csrf: token });
  expect(refused.status).toBe(403);
  expect(await refused.text()).toContain("operator");
});

it("signs out: the old cookie opens nothing any more", async () => {
  const b = new Browser(first.base);
  await b.signIn("anna", "anna-password-1");
  const session = b.cookies.get("concord_session") ?? "";
  const token = csrfOf(await (await b.fetch("/nowhere")).text());
  expect((await b.form("/logout", { _csrf: token })).headers.get("location")).toBe("/login?signedOut=1");
  const again = new Browser(first.base);
  again.cookies.set("concord_session", session);
  expect((await again.fetch("/")).status).toBe(303);
});

it("never returns to another site after sign-in", async () => {
  const b = new Browser(first.base);
  const csrf = csrfOf((await b.page("/login")).html);
  const res = await b.form("/login", { _csrf: csrf, user: "anna", password: "anna-password-1", next: "//evil.example/" });
  expect(res.headers.get("location")).toBe("/");
});

it("ends the session of a user removed from CONSOLE_USERS, and applies a changed role at once", async () => {
  const b = new Browser(first.base);
  await b.signIn("boris", "boris-password-1");
  expect((await b.fetch("/")).status).toBe(200);
  const boris = users.find((u) => u.name === "boris");
  if (!boris) throw new Error("boris is configured");
  // The same list the router holds: as after a restart with another CONSOLE_USERS.
  boris.role = "operator";
  const token = csrfOf(await (await b.fetch("/nowhere")).text());
  expect((await b.form("/act", { _csrf: token })).status).toBe(200);
  users.splice(users.indexOf(boris), 1);
  expect((await b.fetch("/")).status).toBe(303);
  users.push({ ...boris, role: "viewer" });
  expect((await b.fetch("/")).status).toBe(303); // the session is gone, not merely refused
});

it("keeps a session across two console replicas: signed in on one, the other knows it, and signing out ends it on both", async () => {
  const bus = await connectBus(testNatsUrl(), "console-replica-2");
  second = { ...(await startReplica(bus)), bus };
  const b = new Browser(first.base);
  await b.signIn("anna", "anna-password-1");
  const cookie = b.cookies.get("concord_session") ?? "";
  const onSecond = await fetch(`${second.base}/`, { redirect: "manual", headers: { cookie: `concord_session=${cookie}` } });
  expect(await onSecond.text()).toBe("home of anna");
  const token = csrfOf(await (await b.fetch("/nowhere")).text());
  await b.form("/logout", { _csrf: token });
  expect((await fetch(`${second.base}/`, { redirect: "manual", headers: { cookie: `concord_session=${cookie}` } })).status).toBe(303);
});
