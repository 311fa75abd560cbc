// An app that does nothing until SIGTERM, then records the signal in $MARKER_FILE and exits:
// lets a test see that an app stopped gracefully rather than merely died.
import { writeFileSync } from "node:fs";

const marker = process.env.MARKER_FILE ?? "";
writeFileSync(marker, "started");
process.on("SIGTERM", () => {
  writeFileSync(marker, "SIGTERM");
  process.exit(0);
});
setInterval(() => undefined, 1_000);
