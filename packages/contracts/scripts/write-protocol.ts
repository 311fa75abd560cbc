// Writes docs/protocol/*.schema.json from the zod contracts (`pnpm run protocol`).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderProtocolSchemas } from "../src/protocol";

const dir = join(__dirname, "..", "..", "..", "docs", "protocol");
mkdirSync(dir, { recursive: true });
for (const file of readdirSync(dir)) if (file.endsWith(".schema.json")) rmSync(join(dir, file));
const files = renderProtocolSchemas();
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
console.log(`wrote ${Object.keys(files).length} schemas to docs/protocol/`);
