import type { Logger } from "@concord/telemetry";

export interface PeriodicTask {
  /** Runs the task now (outside the schedule), e.g. for `resync` or a test; resolves with its result. */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs`, never overlapping itself. A failing run is logged and the next
 * one comes on schedule: a sweep that cannot reach its source must not stop the worker.
 */
export function startPeriodic(name: string, intervalMs: number, task: () => Promise<void>, logger: Logger, firstDelayMs = Math.min(intervalMs, 2_000)): PeriodicTask {
  let running: Promise<void> | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = async (): Promise<void> => {
    if (running) return running;
    running = task()
      .catch((error: unknown) => {
        logger.warn(`${name} failed; next run on schedule`, { error });
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      void run().finally(() => schedule(intervalMs));
    }, delay);
  };
  schedule(firstDelayMs);
  return {
    runNow: run,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
