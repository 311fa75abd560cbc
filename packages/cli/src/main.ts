#!/usr/bin/env -S npx tsx
// `concord`: the operations CLI. Errors are one line on stderr and exit code 1.
import { CommanderError } from "commander";
import { addGoLiveCommands } from "@concord/go-live";
import { printable } from "./printable";
import { buildProgram, confirmOnStdin } from "./program";

const program = buildProgram({
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  confirm: confirmOnStdin,
});
// Backfill and mapping rebuild/verify run in this process (both systems' credentials, NATS, PostgreSQL).
addGoLiveCommands(program, { env: process.env, out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) });
program.exitOverride();

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    const token = process.env.CONCORD_API_TOKEN;
    let message = String((error as Error)?.message ?? error).split("\n")[0] ?? "";
    if (token) message = message.split(token).join("***");
    process.stderr.write(`concord: ${printable(message)}\n`);
    process.exit(1);
  },
);
