import { readFileSync } from "node:fs";
import { credsAuthenticator, nkeyAuthenticator, type Authenticator, type ConnectionOptions } from "@nats-io/nats-core";

/**
 * How a service authenticates to NATS and whether it requires TLS. NATS accepts one method per
 * account; the first set wins: a creds file (JWT + nkey, decentralised auth), an nkey seed, a
 * token, a user and password (also as `nats://user:password@host` in NATS_URL). Secrets are
 * never logged: the masker knows them and the URL's password is stripped before connecting.
 */
export interface NatsSecurity {
  user?: string;
  password?: string;
  token?: string;
  /** An nkey seed (`SU…`), the account's private key. */
  nkeySeed?: string;
  /** Path of a `.creds` file (JWT and seed). */
  credsFile?: string;
  /** TLS: null or undefined = as the server offers; an object = TLS required, with optional CA and client certificate. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string } | null;
}

/** The NATS security settings of a service's config (`NATS_*` of commonConfig). */
export function natsSecurityFromConfig(config: Record<string, unknown>): NatsSecurity {
  const text = (key: string) => (typeof config[key] === "string" && config[key] !== "" ? (config[key] as string) : undefined);
  const tlsWanted = config.NATS_TLS === true || Boolean(text("NATS_TLS_CA_FILE") ?? text("NATS_TLS_CERT_FILE"));
  return {
    user: text("NATS_USER"),
    password: text("NATS_PASSWORD"),
    token: text("NATS_TOKEN"),
    nkeySeed: text("NATS_NKEY_SEED"),
    credsFile: text("NATS_CREDS_FILE"),
    tls: tlsWanted ? { caFile: text("NATS_TLS_CA_FILE"), certFile: text("NATS_TLS_CERT_FILE"), keyFile: text("NATS_TLS_KEY_FILE") } : null,
  };
}

/** Servers without credentials, and the user and password that were in them. */
export function splitServerCredentials(servers: string): { servers: string[]; user?: string; password?: string } {
  let user: string | undefined;
  let password: string | undefined;
  const list = servers
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((server) => {
      const match = /^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*)(?::([^@/]*))?@(.*)$/i.exec(server);
      if (!match) return server;
      user ??= decodeURIComponent(match[2] ?? "");
      if (match[3] !== undefined) password ??= decodeURIComponent(match[3]);
      return `${match[1]}${match[4]}`;
    });
  return { servers: list, user, password };
}

/** Connection options for nats.js from the servers (maybe with credentials) and the security settings. */
export function natsConnectionOptions(servers: string, security: NatsSecurity = {}): Pick<ConnectionOptions, "servers" | "user" | "pass" | "token" | "authenticator" | "tls"> {
  const split = splitServerCredentials(servers);
  const out: Pick<ConnectionOptions, "servers" | "user" | "pass" | "token" | "authenticator" | "tls"> = { servers: split.servers };
  let authenticator: Authenticator | undefined;
  if (security.credsFile) authenticator = credsAuthenticator(new Uint8Array(readFileSync(security.credsFile)));
  else if (security.nkeySeed) authenticator = nkeyAuthenticator(new TextEncoder().encode(security.nkeySeed));
  if (authenticator) out.authenticator = authenticator;
  else if (security.token) out.token = security.token;
  else {
    // `nats://<token>@host` (no colon) is a token, as the NATS clients read it.
    const urlToken = split.user !== undefined && split.password === undefined ? split.user : undefined;
    const user = security.user ?? (urlToken ? undefined : split.user);
    const pass = security.password ?? split.password;
    if (user) {
      out.user = user;
      out.pass = pass ?? "";
    } else if (urlToken) {
      out.token = urlToken;
    }
  }
  if (security.tls) {
    const tls: NonNullable<ConnectionOptions["tls"]> = {};
    if (security.tls.caFile) tls.caFile = security.tls.caFile;
    if (security.tls.certFile) tls.certFile = security.tls.certFile;
    if (security.tls.keyFile) tls.keyFile = security.tls.keyFile;
    out.tls = tls;
  }
  return out;
}

let processSecurity: NatsSecurity = {};

/** Sets how every connectBus of this process authenticates (runService does, from config). */
export function configureNatsSecurity(security: NatsSecurity): void {
  processSecurity = security;
}

export function currentNatsSecurity(): NatsSecurity {
  return processSecurity;
}
