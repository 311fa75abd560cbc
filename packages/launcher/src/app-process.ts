import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";

export interface AppSpec {
  /** Unique per process, e.g. `onec-writer` or `onec-writer-2`. */
  name: string;
  /** Directory of the app (its package root); it runs `src/main.ts` from there. */
  dir: string;
  env: Record<string, string>;
  /** URL that answers 200 once the process can do its work. */
  readyUrl: string;
  logFile: string;
}

/**
 * One app as an OS process (node with tsx's loader, so the pid is the app itself and SIGKILL
 * really kills it). Output is appended to the app's log file across restarts.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
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
    this.log ??= createWriteStream(this.spec.logFile, { flags: "a" });
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: this.spec.dir,
      env: { ...process.env, ...this.spec.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
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

  closeLog(): void {
    this.log?.end();
    this.log = undefined;
  }
}
