import { connectBus } from "@concord/bus";
import { createSubjects } from "@concord/contracts";
import { testNatsUrl, uniqueNamespace } from "@concord/testkit";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer } from "./app";
import { bitrix24Fields, capturingLogger, postForm, postOnec, request, startIngress, testConfig, type RunningIngress } from "./testing";

/** The bus cannot take the event: ingress must answer 503 + Retry-After, never 2xx, and keep running. */

let ingress: RunningIngress;

beforeAll(async () => {
  ingress = await startIngress({}, { publish: { attempts: 2, timeoutMs: 500 } });
});

afterAll(async () => {
  await ingress?.stop();
});

const onecBody = JSON.stringify({
  v: 1,
  type: "onec.change",
  object: "Catalog_Контрагенты",
  ref: "3f2504e0-4f89-11d3-9a0c-0305e82c3399",
  dataVersion: "AAAAAQAAAAA=",
  deleted: false,
  occurredAt: "2025-01-09T09:59:58+03:00",
});

it("answers 503 with Retry-After when JetStream has no stream to store the event, and stays up", async () => {
  // Streams gone (deleted by an operator, or a NATS that lost its store): publishes get no responders.
  for (const name of Object.values(ingress.subjects.streams)) await ingress.bus.jsm.streams.delete(name);

  const form = await postForm(ingress.origin, bitrix24Fields());
  expect(form.status).toBe(503);
  expect(form.headers.get("retry-after")).toBe("5");
  expect(form.json).toEqual({ error: "not accepted, retry later" });

  const onec = await postOnec(ingress.origin, onecBody);
  expect(onec.status).toBe(503);
  expect(onec.headers.get("retry-after")).toBe("5");

  expect((await request(ingress.origin, "/healthz")).status).toBe(200);
  expect((await request(ingress.origin, "/readyz")).status).toBe(503);
  expect(ingress.lines.some((l) => l.includes("event not accepted: publish failed"))).toBe(true);
});

it("answers 503 when the NATS connection is closed", async () => {
  const namespace = uniqueNamespace("ing");
  const bus = await connectBus(testNatsUrl(), "ingress-closed-test");
  await bus.nc.close();
  const { logger } = capturingLogger();
  const app = createServer({
    config: testConfig(namespace),
    subjects: createSubjects(namespace),
    logger,
    bus: () => bus,
    ready: () => !bus.nc.isClosed(),
    publish: { attempts: 2, timeoutMs: 500 },
  });
  const server: Server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const res = await postForm(origin, bitrix24Fields());
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect((await request(origin, "/readyz")).status).toBe(503);
    expect((await request(origin, "/healthz")).status).toBe(200);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
