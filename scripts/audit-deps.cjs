#!/usr/bin/env node
// Dependency check (`pnpm run audit:deps`), in two parts:
//
// 1. Offline, always: every dependency of every package.json is pinned to an exact version
//    (workspace packages excepted) and the lockfile is committed, so an install brings exactly
//    what was reviewed; `pnpm install --frozen-lockfile` (CI) refuses a drifted lockfile.
//    A range here fails the check.
// 2. Online, where the registry's advisory endpoint answers: `pnpm audit`. High or critical
//    advisories fail the check; moderate and low are printed. When the endpoint is unreachable
//    or refuses (these machines get 405), the audit is reported as skipped and does not fail:
//    the offline part still ran. See docs/security.md ("Dependencies") for the update policy.
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const { readFileSync, existsSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const problems = [];

function manifests() {
  const list = execFileSync("git", ["ls-files", "package.json", "*/package.json"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
  return list.filter((f) => !f.includes("node_modules/"));
}

const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
for (const file of manifests()) {
  const pkg = JSON.parse(readFileSync(join(root, file), "utf8"));
  for (const field of ["dependencies", "devDependencies", "optionalDependencies"]) {
    for (const [name, spec] of Object.entries(pkg[field] ?? {})) {
      if (spec.startsWith("workspace:")) continue;
      if (!EXACT.test(spec)) problems.push(`${file}: ${field}.${name} is "${spec}", not an exact version`);
    }
  }
}
if (!existsSync(join(root, "pnpm-lock.yaml"))) problems.push("pnpm-lock.yaml is missing");

if (problems.length > 0) {
  console.error(`dependency pinning: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("dependency pinning: every dependency is an exact version; pnpm-lock.yaml present");

const audit = spawnSync("pnpm", ["audit", "--json", "--prod=false"], { cwd: root, encoding: "utf8", timeout: 60_000 });
let report;
try {
  report = JSON.parse(audit.stdout || "{}");
} catch {
  report = {};
}
const unreachable = (text) => /ERR_PNPM_AUDIT_BAD_RESPONSE|responded with (405|5\d\d)|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET|network/i.test(text);
if (audit.error || report.error || !report.metadata) {
  const why = String(report.error?.message ?? audit.error?.message ?? audit.stderr ?? "no answer").split("\n")[0].slice(0, 300);
  if (audit.error?.code === "ETIMEDOUT" || unreachable(why) || unreachable(audit.stderr ?? "")) {
    console.log(`pnpm audit: skipped, the advisory endpoint is not reachable from here (${why})`);
    process.exit(0);
  }
  console.error(`pnpm audit: failed: ${why}`);
  process.exit(1);
}
const v = report.metadata.vulnerabilities ?? {};
console.log(`pnpm audit: critical ${v.critical ?? 0}, high ${v.high ?? 0}, moderate ${v.moderate ?? 0}, low ${v.low ?? 0}`);
for (const advisory of Object.values(report.advisories ?? {})) {
  console.log(`  ${advisory.severity}: ${advisory.module_name} ${advisory.vulnerable_versions} — ${advisory.title} (${advisory.url})`);
}
process.exit((v.critical ?? 0) + (v.high ?? 0) > 0 ? 1 : 0);
