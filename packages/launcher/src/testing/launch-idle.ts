// A launcher in miniature: starts the idle app as an AppProcess, prints its pid and waits to be
// killed. Used to check that an app outlives no launcher (exit-with-parent.ts).
import { join } from "node:path";
import { AppProcess } from "../app-process";

const [markerFile, logFile] = process.argv.slice(2) as [string, string];
const app = new AppProcess({ name: "idle", dir: join(__dirname, "idle-app"), env: { MARKER_FILE: markerFile }, readyUrl: "", logFile });
app.start();
process.stdout.write(`${app.pid}\n`);
setInterval(() => undefined, 1_000);
