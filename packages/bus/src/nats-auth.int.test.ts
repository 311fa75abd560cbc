import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { nkeys } from "@nats-io/nats-core";
import { createSubjects } from "@concord/contracts";
import { freePort } from "@concord/testkit";
import { connectBus, type Bus } from "./connection";
import { natsConnectionOptions } from "./connection-options";
import { ensureStreams } from "./streams";
import { publishJson } from "./publish";
import { openStateStore } from "./state-store";

/**
 * Issue 12, finding 3: Concord against nats-servers of its own (other loopback ports, ended by
 * this file) that require a user and password (with the least-privilege accounts of
 * infra/nats/accounts.conf), a token, and an nkey over TLS.
 */
jest.setTimeout(60_000);

const NATS = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find((p) => existsSync(p));
const dir = mkdtempSync(join(tmpdir(), "concord-nats-auth-"));
const children: ChildProcess[] = [];
const buses: Bus[] = [];
const passwords: Record<string, string> = Object.fromEntries(
  ["INGRESS", "RESOLVER", "MAPPING", "CRM_WRITER", "ONEC_WRITER", "CONSOLE"].map((s) => [`CONCORD_NATS_${s}_PASSWORD`, `pw-${s.toLowerCase()}-${Math.random().toString(36).slice(2)}`]),
);

const listening = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = netConnect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), done(true)));
    socket.once("error", () => done(false));
  });

async function startServer(name: string, config: string): Promise<number> {
  const port = await freePort(1);
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, name)}" }\n${config}\n`);
  const child = spawn(NATS as string, ["-c", file], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...passwords } });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  children.push(child);
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`nats-server ${name} did not start (${file}): ${stderr.slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return port;
}

afterAll(async () => {
  for (const bus of buses) await bus.nc.close().catch(() => undefined);
  for (const child of children) child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 200));
  rmSync(dir, { recursive: true, force: true });
});

const subjects = createSubjects("concord");
const event = { v: 1, type: "change", system: "bitrix24", entity: "deal", sourceId: "7", action: "upsert", sourceVersion: "x", occurredAt: new Date().toISOString(), receivedAt: new Date().toISOString(), via: "webhook" };

(NATS ? describe : describe.skip)("NATS authentication and TLS", () => {
  let accountsPort = 0;
  beforeAll(async () => {
    copyFileSync(resolve(__dirname, "../../../infra/nats/accounts.conf"), join(dir, "accounts.conf"));
    accountsPort = await startServer("least-privilege", "include accounts.conf");
  });

  it("with the least-privilege accounts: ingress announces events and cannot publish commands", async () => {
    const ingress = await connectBus(`nats://127.0.0.1:${accountsPort}`, "ingress", { user: "ingress", password: passwords.CONCORD_NATS_INGRESS_PASSWORD });
    buses.push(ingress);
    await ensureStreams(ingress.jsm, subjects);
    const ack = await publishJson(ingress.js, subjects.event("bitrix24", "deal"), event, { msgId: "auth-1", schema: "change/1" });
    expect(ack.seq).toBeGreaterThan(0);
    await expect(ingress.js.publish(subjects.command("onec", "order"), "{}", { msgID: "forged", timeout: 1500 })).rejects.toThrow();
    await expect(ingress.jsm.streams.delete(subjects.streams.events)).rejects.toThrow();
    // The same account given as nats://user:password@host (as NATS_URL may be).
    const viaUrl = await connectBus(`nats://mapping:${encodeURIComponent(passwords.CONCORD_NATS_MAPPING_PASSWORD ?? "")}@127.0.0.1:${accountsPort}`, "mapping", {});
    buses.push(viaUrl);
    expect((await viaUrl.jsm.streams.info(subjects.streams.commands)).state.messages).toBe(0);
    expect((await viaUrl.jsm.streams.info(subjects.streams.events)).state.messages).toBe(1);
  });

  it("with the least-privilege accounts: the console reads what alerts need (consumer backlog, a stream's messages, the state KV), keeps web sessions, and cannot delete a stream", async () => {
    const operations = await connectBus(`nats://127.0.0.1:${accountsPort}`, "console", { user: "console", password: passwords.CONCORD_NATS_CONSOLE_PASSWORD });
    buses.push(operations);
    const consumers = [];
    for await (const info of operations.jsm.consumers.list(subjects.streams.events)) consumers.push(info.name);
    expect(Array.isArray(consumers)).toBe(true);
    expect((await operations.jsm.streams.getMessage(subjects.streams.events, { last_by_subj: subjects.event("bitrix24", "deal") }))?.seq).toBeGreaterThan(0);
    const state = await openStateStore(operations, subjects);
    expect(await state.tryLease("alerts.evaluator", "console-test", 1_000)).toBe(true);
    // The web console's sessions: a bucket of its own, with a TTL, written, read and deleted.
    const sessions = await new Kvm(operations.nc).create(subjects.sessionsBucket, { history: 1, ttl: 60_000 });
    await sessions.put("a1b2", JSON.stringify({ user: "anna" }));
    expect((await sessions.get("a1b2"))?.json()).toEqual({ user: "anna" });
    await sessions.delete("a1b2");
    expect((await sessions.get("a1b2"))?.operation).toBe("DEL");
    await expect(operations.jsm.streams.delete(subjects.streams.events)).rejects.toThrow();
  });

  it("refuses a wrong password and no credentials at all", async () => {
    for (const security of [{ user: "ingress", password: "wrong-password-123" }, {}]) {
      await expect(connect({ ...natsConnectionOptions(`127.0.0.1:${accountsPort}`, security), maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow(/Authorization/i);
    }
  });

  it("with a token", async () => {
    const token = `tok-${Math.random().toString(36).slice(2)}-0123456789`;
    const port = await startServer("token", `authorization { token: "${token}" }`);
    const bus = await connectBus(`127.0.0.1:${port}`, "token-test", { token });
    buses.push(bus);
    await ensureStreams(bus.jsm, subjects);
    await expect(connect({ ...natsConnectionOptions(`127.0.0.1:${port}`, { token: "not-the-token-0000" }), maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow(/Authorization/i);
  });

  it("with an nkey, over TLS verified against the server's CA", async () => {
    const ca = join(dir, "ca.pem");
    const caKey = join(dir, "ca-key.pem");
    const cert = join(dir, "server.pem");
    const key = join(dir, "server-key.pem");
    const csr = join(dir, "server.csr");
    const ext = join(dir, "san.ext");
    const quiet = { stdio: "ignore" as const };
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", caKey, "-out", ca, "-days", "1", "-subj", "/CN=concord-test-ca"], quiet);
    execFileSync("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"], quiet);
    writeFileSync(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    execFileSync("openssl", ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "1", "-extfile", ext], quiet);
    const user = nkeys.createUser();
    const port = await startServer("nkey-tls", `tls { cert_file: "${cert}", key_file: "${key}" }\nauthorization { users: [ { nkey: ${user.getPublicKey()} } ] }`);
    const seed = new TextDecoder().decode(user.getSeed());
    const probe = await connect({ ...natsConnectionOptions(`127.0.0.1:${port}`, { nkeySeed: seed, tls: { caFile: ca } }), maxReconnectAttempts: 0, reconnect: false });
    await probe.close();
    const bus = await connectBus(`127.0.0.1:${port}`, "nkey-tls-test", { nkeySeed: seed, tls: { caFile: ca } });
    buses.push(bus);
    await ensureStreams(bus.jsm, subjects);
    expect(bus.nc.info?.tls_required).toBe(true);
    // Without the CA the server's certificate is not trusted: no connection.
    await expect(connect({ ...natsConnectionOptions(`127.0.0.1:${port}`, { nkeySeed: seed, tls: {} }), maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow();
  });
});
