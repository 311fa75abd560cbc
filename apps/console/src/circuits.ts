import type { RequestHandler } from "express";

/** One target's circuit as the console shows it (see `CircuitView` in @concord/bus), or `unknown` when its writer is not answering. */
export interface CircuitReport {
  target: string;
  status: "closed" | "open" | "unknown";
}

/**
 * GET /api/circuits: the circuit of every target — closed, or open since when and why, and
 * when the next probe goes — for the console and for alerts (`open` anywhere means changes wait).
 * 200 with `open: true` when any circuit is open, so a probe can alert on the body alone.
 */
export function circuitsRoute(read: () => Promise<CircuitReport[]>): RequestHandler {
  return async (_req, res, next) => {
    try {
      const circuits = await read();
      res.status(200).json({ open: circuits.some((c) => c.status === "open"), circuits });
    } catch (error) {
      next(error);
    }
  };
}
