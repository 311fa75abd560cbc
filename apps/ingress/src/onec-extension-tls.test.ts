import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Issue 12, finding 8: the 1C extension that sends notifications here must verify ingress's TLS
 * certificate (1C's ЗащищенноеСоединениеOpenSSL without CA certificates accepts any certificate).
 */
it("every secure connection of the 1C extension verifies the server against the OS certificate store", () => {
  const bsl = readFileSync(resolve(__dirname, "../../../docs/1c/ConcordNotifications.bsl"), "utf8");
  const uses = [...bsl.matchAll(/Новый\s+ЗащищенноеСоединениеOpenSSL\s*\(([^;]*)\)/g)].map((m) => m[1] ?? "");
  expect(uses.length).toBeGreaterThan(0);
  for (const args of uses) expect(args).toMatch(/Новый\s+СертификатыУдостоверяющихЦентровОС\s*\(\s*\)/);
  const readme = readFileSync(resolve(__dirname, "../../../docs/1c/README.md"), "utf8");
  expect(readme).toMatch(/operating system's certificate store/);
});
