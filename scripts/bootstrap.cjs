#!/usr/bin/env node
// Entry of `npm start` and `npm test` on a machine that has only Node.js 20 and npm:
// makes sure pnpm and the workspace's dependencies are installed, then runs the real script.
"use strict";
const { spawnSync } = require("node:child_process");
const { existsSync, readFileSync, statSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const pnpmVersion = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1];
const script = { start: "scripts/up.ts", test: "scripts/test.ts" }[process.argv[2]];
if (!script) {
  console.error("usage: node scripts/bootstrap.cjs start|test");
  process.exit(2);
}

const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
const has = (cmd, args) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;

// pnpm: the pinned version, installed with npm when missing (corepack cannot fetch it everywhere).
let pnpm = ["pnpm"];
if (!has("pnpm", ["--version"])) {
  console.log(`installing pnpm@${pnpmVersion} with npm…`);
  if (run("npm", ["install", "-g", `pnpm@${pnpmVersion}`]).status !== 0) pnpm = ["npx", "-y", `pnpm@${pnpmVersion}`];
}
const pnpmRun = (args) => run(pnpm[0], [...pnpm.slice(1), ...args]);

// Install when node_modules is missing or older than the lockfile.
const marker = join(root, "node_modules", ".modules.yaml");
const lock = join(root, "pnpm-lock.yaml");
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  const install = pnpmRun(["install", "--frozen-lockfile"]);
  if (install.status !== 0) process.exit(install.status ?? 1);
}

const result = pnpmRun(["exec", "tsx", script, ...process.argv.slice(3)]);
process.exit(result.status ?? 1);
