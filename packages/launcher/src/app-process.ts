import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/** See exit-with-parent.ts: an app ends when the process that started it is gone. */
const exitWithParent = pathToFileURL(join(__dirname, "exit-with-parent.ts")).href;

export interface AppSpec {
  /** Unique per process, e.g. `onec-writer` or `onec-writer-2`. */
  name: string;
  /** Directory of the app (its package root); it runs `src/main.ts` from there. */
  dir: string;
  /**
   * A prebuilt bundle of `src/main.ts` (app-bundle.ts) to run instead of the source through tsx,
   * still with `dir` as its working directory. Its source maps are beside it: set
   * NODE_OPTIONS=--enable-source-maps to see source lines in stack traces.
   */
  bundle?: string;
  env: Record<string, string>;
  /** URL that answers 200 once the process can do its work. */
  readyUrl: string;
  logFile: string;
}

/**
 * One app as an OS process (node with tsx's loader or its bundle, so the pid is the app itself and SIGKILL
 * really kills it). Its output goes straight to the app's log file, appended across restarts,
 * so nothing of it depends on us staying alive. Its stdin is a pipe from us, so it stops when
 * we are gone (exit-with-parent.ts).
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> = Promise.resolve(null);

  constructor(readonly spec: AppSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    const log = openSync(this.spec.logFile, "a");
    const args = this.spec.bundle ? [this.spec.bundle] : ["--import", "tsx", "--import", exitWithParent, "src/main.ts"];
    const child = spawn(process.execPath, args, {
      cwd: this.spec.dir,
      env: { ...process.env, ...this.spec.env },
      stdio: ["pipe", log, log],
    });
    closeSync(log);
    this.exit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    this.child = child;
  }

  /** Graceful stop (SIGTERM), escalating to SIGKILL after the deadline. */
  async stop(deadlineMs = 15_000): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child?.kill("SIGTERM");
    const timer = setTimeout(() => this.child?.kill("SIGKILL"), deadlineMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }

  /** Crash: no cleanup, no drain, in-flight work abandoned. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill("SIGKILL");
    await this.exit;
  }

  waitForExit(): Promise<number | null> {
    return this.exit;
  }
}
