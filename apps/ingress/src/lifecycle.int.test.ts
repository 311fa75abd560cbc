import { spawn } from "node:child_process";
import { join } from "node:path";
import { connectBus } from "@concord/bus";
import { createSubjects } from "@concord/contracts";
import { freePort, testNatsUrl, uniqueNamespace, waitFor } from "@concord/testkit";
import { createApp } from "./app";
import { bitrix24Fields, capturingLogger, postForm, request, TEST_SECRET, TEST_TOKEN, testConfig } from "./testing";

const appDir = join(__dirname, "..");

async function deleteStreams(namespace: string) {
  const bus = await connectBus(testNatsUrl(), "ingress-cleanup");
  for (const name of Object.values(createSubjects(namespace).streams)) await bus.jsm.streams.delete(name).catch(() => undefined);
  await bus.nc.close();
}

it("finishes an in-flight webhook before it stops, then refuses connections", async () => {
  const namespace = uniqueNamespace("ing");
  const { logger } = capturingLogger();
  const bus = await connectBus(testNatsUrl(), "ingress-lifecycle-test");
  // A slow JetStream: the webhook is mid-publish when the stop begins.
  let publishing: () => void = () => undefined;
  const publishStarted = new Promise<void>((resolve) => (publishing = resolve));
  const slowJs = new Proxy(bus.js, {
    get(target, key, receiver) {
      if (key !== "publish") return Reflect.get(target, key, receiver);
      return async (...args: Parameters<typeof target.publish>) => {
        publishing();
        await new Promise((resolve) => setTimeout(resolve, 300));
        return target.publish(...args);
      };
    },
  });
  const app = createApp(testConfig(namespace), { logger, bus: { ...bus, js: slowJs } });
  try {
    const { port } = await app.start();
    const origin = `http://127.0.0.1:${port}`;
    expect(app.ready()).toBe(true);
    const inFlight = postForm(origin, bitrix24Fields({ "data[FIELDS][ID]": "777" }));
    await publishStarted;
    let stoppedAt = 0;
    const stopped = app.stop().then(() => (stoppedAt = Date.now()));
    expect(app.ready()).toBe(false);
    const answer = await inFlight;
    const answeredAt = Date.now();
    expect(answer.status).toBe(202);
    await stopped;
    expect(stoppedAt).toBeGreaterThanOrEqual(answeredAt);
    await expect(request(origin, "/healthz")).rejects.toThrow();
  } finally {
    for (const name of Object.values(createSubjects(namespace).streams)) await bus.jsm.streams.delete(name).catch(() => undefined);
    await bus.nc.close();
  }
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runMain(env: Record<string, string>, whileRunning?: (out: () => string, kill: () => void) => Promise<void>): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const during = whileRunning?.(() => stdout, () => child.kill("SIGTERM")).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  return Promise.all([exited, during]).then(([code]) => ({ code, stdout, stderr }));
}

it("exits 2 with a message naming the variable when the config is bad", async () => {
  const run = await runMain({ ONEC_WEBHOOK_SECRET: TEST_SECRET, B24_APPLICATION_TOKEN: "short" });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("B24_APPLICATION_TOKEN");
  expect(run.stderr).not.toContain(TEST_SECRET);
}, 20_000);

it("starts from the environment, becomes ready, and exits 0 on SIGTERM without logging secrets", async () => {
  const namespace = uniqueNamespace("ing");
  const port = await freePort();
  try {
    const run = await runMain(
      {
        NATS_URL: testNatsUrl(),
        CONCORD_NAMESPACE: namespace,
        INGRESS_PORT: String(port),
        B24_APPLICATION_TOKEN: TEST_TOKEN,
        ONEC_WEBHOOK_SECRET: TEST_SECRET,
      },
      async (out, kill) => {
        const origin = `http://127.0.0.1:${port}`;
        await waitFor(async () => (await request(origin, "/readyz")).status === 200, { what: "ingress ready", timeoutMs: 15_000 });
        expect((await postForm(origin, bitrix24Fields())).status).toBe(202);
        expect(out()).toContain('"B24_APPLICATION_TOKEN":"***"');
        kill();
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"message":"stopped"');
    for (const secret of [TEST_TOKEN, TEST_SECRET]) expect(run.stdout + run.stderr).not.toContain(secret);
  } finally {
    await deleteStreams(namespace);
  }
}, 30_000);
