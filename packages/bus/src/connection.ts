import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * Connects with unlimited reconnects: a NATS restart must pause work, never end the process.
 * Publishes during an outage fail fast and are retried by the caller with the same msg id.
 */
export async function connectBus(servers: string, name: string): Promise<Bus> {
  const nc = await connect({
    servers: servers.split(",").map((s) => s.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc, { timeout: 5000 });
  return { nc, js, jsm };
}
