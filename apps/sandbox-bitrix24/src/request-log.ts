// The last requests seen, for GET /admin/requests. Never holds the webhook token.

export interface RequestLogEntry {
  at: string;
  httpMethod: string;
  /** REST method name (`crm.deal.get`, `batch`), or the admin path. */
  method: string;
  status: number | "socket-destroyed";
  durationMs: number;
  traceparent: string | null;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  constructor(private readonly limit = 1000) {}

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  /** Newest last. */
  last(n: number): RequestLogEntry[] {
    return this.entries.slice(Math.max(0, this.entries.length - n));
  }

  clear(): void {
    this.entries = [];
  }
}

/** `/rest/1/<token>/crm.deal.get` → `/rest/1/***\/crm.deal.get`. */
export function redactPath(path: string): string {
  return path.replace(/^(\/rest\/[^/]+\/)[^/?]+(\/)/, "$1***$2");
}
