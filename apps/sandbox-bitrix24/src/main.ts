// Entry point: parse env, start the sandbox, stop cleanly on SIGTERM/SIGINT.

import { createSandbox } from "./app";
import { parseConfig, redactConfig } from "./config";

async function main(): Promise<void> {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n`);
    process.exit(1);
  }
  const config = parsed.value;
  const sandbox = createSandbox(config);
  const { port } = await sandbox.start();
  process.stdout.write(
    `${JSON.stringify({
      msg: "sandbox-bitrix24 listening",
      url: sandbox.baseUrl(),
      webhook: `http://${config.host}:${port}/rest/${config.userId}/***/`,
      config: redactConfig({ ...config, port }),
    })}\n`,
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    // Deadline: a stuck close must not keep the process alive forever.
    const deadline = setTimeout(() => process.exit(1), 5000);
    deadline.unref();
    sandbox
      .stop()
      .then(() => {
        process.stdout.write(`${JSON.stringify({ msg: "sandbox-bitrix24 stopped", signal })}\n`);
        process.exit(0);
      })
      .catch((err: unknown) => {
        process.stderr.write(`sandbox-bitrix24: stop failed: ${String(err)}\n`);
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox-bitrix24: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
