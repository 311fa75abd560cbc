import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { renderProtocolSchemas } from "./protocol";

const dir = join(__dirname, "..", "..", "..", "docs", "protocol");

it("docs/protocol holds the JSON Schema of every message, up to date (run `pnpm run protocol`)", () => {
  const expected = renderProtocolSchemas();
  const committed = readdirSync(dir).filter((f) => f.endsWith(".schema.json")).sort();
  expect(committed).toEqual(Object.keys(expected).sort());
  for (const [name, text] of Object.entries(expected)) {
    expect({ name, text: readFileSync(join(dir, name), "utf8") }).toEqual({ name, text });
  }
});
