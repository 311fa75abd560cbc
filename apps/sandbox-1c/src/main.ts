import { createSandbox } from "./app";
import { parseConfig, redactConfig } from "./config";

async function main(): Promise<void> {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    process.stderr.write(`sandbox-1c: invalid configuration: ${parsed.error}\n`);
    process.exit(1);
  }
  const config = parsed.value;
  const sandbox = createSandbox(config);
  const { port } = await sandbox.start();
  process.stdout.write(
    `${JSON.stringify({ msg: "sandbox-1c listening", serviceRoot: `http://${config.host}:${port}/${config.base}/odata/standard.odata/`, config: redactConfig(config) })}\n`,
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    // A deadline so a hung client connection cannot keep the process alive.
    const deadline = setTimeout(() => process.exit(0), 5000);
    deadline.unref();
    void sandbox.stop().then(
      () => {
        process.stdout.write(`${JSON.stringify({ msg: "sandbox-1c stopped", signal })}\n`);
        process.exit(0);
      },
      () => process.exit(0),
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

void main().catch((err: unknown) => {
  process.stderr.write(`sandbox-1c: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
