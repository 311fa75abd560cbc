// `batch {halt, cmd:{key:"method?query"}}`: up to 50 calls in one request (one unit of the rate
// limit), later commands able to reference earlier results as `$result[key][FIELD]`.
// Always HTTP 200; per-command errors land in result_error.

import { restErrors, type RestError } from "./errors";
import type { MethodOutcome } from "./methods";
import { isPlainObject, normalizeParams, parseBracketQuery, type Params } from "./params";

export const BATCH_LIMIT = 50;

export type InnerCall = (
  method: string,
  params: Params,
  raw: Params,
) => { ok: true; outcome: MethodOutcome; time: Record<string, unknown> } | { ok: false; error: RestError };

/** PHP json_encode: an empty or 0..n-1-keyed map is a JSON array. */
export function phpArray(map: Record<string, unknown>): Record<string, unknown> | unknown[] {
  const keys = Object.keys(map);
  if (keys.length === 0) return [];
  if (keys.every((k, i) => k === String(i))) return keys.map((k) => map[k]);
  return map;
}

const REF_RE = /\$result\[([^\]]+)\]((?:\[[^\]]*\])*)/g;

function resolveRef(results: Record<string, unknown>, key: string, path: string): unknown {
  let value: unknown = results[key];
  if (!(key in results)) return undefined;
  for (const m of path.matchAll(/\[([^\]]*)\]/g)) {
    const seg = m[1] as string;
    if (Array.isArray(value)) value = value[Number(seg)];
    else if (isPlainObject(value)) value = value[seg];
    else return undefined;
  }
  return value;
}

/**
 * Replaces `$result[key][A][B]` in parameter values. A value that is exactly one reference takes
 * the referenced value as is (so whole objects/arrays can be passed on); references inside longer
 * text are interpolated. Unresolvable references are left untouched.
 */
export function substituteResults(value: unknown, results: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => substituteResults(v, results));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteResults(v, results);
    return out;
  }
  if (typeof value !== "string" || !value.includes("$result[")) return value;
  const whole = new RegExp(`^${REF_RE.source}$`).exec(value);
  if (whole) {
    const resolved = resolveRef(results, whole[1] as string, whole[2] ?? "");
    return resolved === undefined ? value : resolved;
  }
  return value.replace(REF_RE, (match, key: string, path: string) => {
    const resolved = resolveRef(results, key, path ?? "");
    if (resolved === undefined || resolved === null) return resolved === null ? "" : match;
    return typeof resolved === "object" ? match : String(resolved);
  });
}

export function runBatch(params: Params, call: InnerCall): Record<string, unknown> {
  const cmdParam = params.cmd;
  const cmd: Record<string, unknown> = Array.isArray(cmdParam)
    ? Object.fromEntries(cmdParam.map((v, i) => [String(i), v]))
    : isPlainObject(cmdParam)
      ? cmdParam
      : {};
  const keys = Object.keys(cmd);
  if (keys.length > BATCH_LIMIT) throw restErrors.batchLength();
  const halt = ["1", "true", "y"].includes(String(params.halt ?? "0").toLowerCase());

  const result: Record<string, unknown> = {};
  const resultError: Record<string, unknown> = {};
  const resultTotal: Record<string, unknown> = {};
  const resultNext: Record<string, unknown> = {};
  const resultTime: Record<string, unknown> = {};

  for (const key of keys) {
    const command = String(cmd[key] ?? "");
    const q = command.indexOf("?");
    const method = (q >= 0 ? command.slice(0, q) : command).trim().toLowerCase().replace(/\.json$/, "");
    const raw = substituteResults(parseBracketQuery(q >= 0 ? command.slice(q + 1) : ""), result) as Params;
    const outcome =
      method === "batch"
        ? ({ ok: false, error: restErrors.batchMethodNotAllowed() } as const)
        : call(method, normalizeParams(raw), raw);
    if (!outcome.ok) {
      resultError[key] = outcome.error.toBody();
      if (halt) break;
      continue;
    }
    result[key] = outcome.outcome.result;
    if (outcome.outcome.total !== undefined) resultTotal[key] = outcome.outcome.total;
    if (outcome.outcome.next !== undefined) resultNext[key] = outcome.outcome.next;
    resultTime[key] = outcome.time;
  }

  return {
    result: phpArray(result),
    result_error: phpArray(resultError),
    result_total: phpArray(resultTotal),
    result_next: phpArray(resultNext),
    result_time: phpArray(resultTime),
  };
}
