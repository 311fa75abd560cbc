/** The last requests the sandbox answered (never the Authorization header). */
export interface RequestLogEntry {
  at: string;
  method: string;
  /** Percent-decoded path and query. */
  path: string;
  status: number;
  ms: number;
  /** Incoming W3C `traceparent`, when the client sent one. */
  traceparent: string | null;
}

const LIMIT = 1000;

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > LIMIT) this.entries = this.entries.slice(-LIMIT);
  }

  last(limit: number): RequestLogEntry[] {
    return this.entries.slice(-Math.max(0, limit)).reverse();
  }

  clear(): void {
    this.entries = [];
  }
}
