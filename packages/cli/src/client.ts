import { checkProduction } from "@concord/config";
/** Where the console is and the token to send (from CONCORD_CONSOLE_URL, CONCORD_API_TOKEN). */
export interface ConsoleTarget {
  url: string;
  token: string;
}

export class CliError extends Error {}

export function targetFromEnv(env: NodeJS.ProcessEnv): ConsoleTarget {
  const url = (env.CONCORD_CONSOLE_URL || "http://127.0.0.1:7420").replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new CliError(`CONCORD_CONSOLE_URL must be an http(s) URL, got "${url}"`);
  const token = env.CONCORD_API_TOKEN ?? "";
  if (!token) throw new CliError("CONCORD_API_TOKEN is not set: export the console's API token (CONSOLE_API_TOKEN; the demo uses demo-console-token)");
  // Production refuses the demo token and plain http to the console, as the services do.
  const { problems } = checkProduction({ CONCORD_CONSOLE_URL: url, CONCORD_API_TOKEN: token }, new Set(["CONCORD_API_TOKEN"]), env);
  if (problems.length > 0) throw new CliError(problems.join("; "));
  return { url, token };
}

/** A JSON client of the console API; every failure is a CliError with one readable line. */
export function createConsoleClient(target: ConsoleTarget, fetchImpl: typeof fetch = fetch) {
  async function call<T>(method: "GET" | "POST" | "PUT", path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let response: Response;
    try {
      response = await fetchImpl(`${target.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const cause = error as { message?: string; cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } };
      const reason = cause.cause?.code ?? cause.cause?.errors?.[0]?.code ?? cause.cause?.message ?? cause.message;
      throw new CliError(`cannot reach the console at ${target.url} (${reason}): is it running? (CONCORD_CONSOLE_URL)`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(`the console answered ${response.status} with something that is not JSON`);
    }
    return { status: response.status, body: parsed as T };
  }

  /** Calls and requires a 2xx (or one of `accept`). */
  async function request<T>(method: "GET" | "POST" | "PUT", path: string, body?: unknown, accept: number[] = []): Promise<{ status: number; body: T }> {
    const result = await call<T>(method, path, body);
    if ((result.status >= 200 && result.status < 300) || accept.includes(result.status)) return result;
    if (result.status === 401) throw new CliError("the console refused the token (401): check CONCORD_API_TOKEN");
    const err = result.body as { error?: string; reason?: string } | undefined;
    throw new CliError(`${err?.reason ?? err?.error ?? "request failed"} (${result.status}${err?.error && err.reason ? ` ${err.error}` : ""})`);
  }
  return { request };
}
export type ConsoleClient = ReturnType<typeof createConsoleClient>;
