// One jest run, three projects: `unit` (pure logic), `integration` (real NATS, PostgreSQL,
// sandboxes over HTTP; one app or package at a time), `e2e` (the whole system as processes).
// The console's pages are TSX rendered on the server with preact (tsconfig.base.json: jsx).
const transform = {
  "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
  "^.+\\.tsx$": [
    "@swc/jest",
    { jsc: { parser: { syntax: "typescript", tsx: true }, transform: { react: { runtime: "automatic", importSource: "preact" } }, target: "es2022" }, module: { type: "commonjs" } },
  ],
};
const common = { transform, testEnvironment: "node", moduleFileExtensions: ["ts", "tsx", "js", "json"] };

/** @type {import('jest').Config} */
module.exports = {
  // A failed integration test can leave a consumer or a child process behind; never hang CI on it.
  forceExit: true,
  // Jest's default on 2 cores is one worker; e2e files mostly wait on processes and I/O, so three
  // files at a time (a fresh-clone run: jest 577 s, load 3–13). Four took 490 s but at load 7–18
  // exposed a write-back race in both-directions.test.ts (a stale CRM update applied after a
  // newer one; docs/reliability.md, "Found by the suite"): back to three until it is fixed.
  maxWorkers: 3,
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/{apps,packages}/*/src/**/*.test.ts"],
      testPathIgnorePatterns: ["\\.int\\.test\\.ts$", "/node_modules/"],
    },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/{apps,packages}/*/src/**/*.int.test.ts"],
      testPathIgnorePatterns: ["/node_modules/"],
    },
    {
      ...common,
      displayName: "e2e",
      testMatch: ["<rootDir>/tests/e2e/src/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/"],
    },
  ],
};
