import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { currentNatsSecurity, natsConnectionOptions, type NatsSecurity } from "./connection-options";

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * Connects with unlimited reconnects: a NATS restart must pause work, never end the process.
 * Publishes during an outage fail fast and are retried by the caller with the same msg id.
 * Authentication and TLS come from `security` (by default the process's, set from config by
 * runService); credentials in `servers` are taken out of the URL before connecting.
 */
export async function connectBus(servers: string, name: string, security: NatsSecurity = currentNatsSecurity()): Promise<Bus> {
  const nc = await connect({
    ...natsConnectionOptions(servers, security),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc, { timeout: 5000 });
  return { nc, js, jsm };
}
