// Request parameters as PHP would see them: bracket-nested keys, arrays that are really
// integer-keyed maps, and top-level names matched case-insensitively (`fields`/`FIELDS`).

export type Params = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const INDEX_RE = /^(0|[1-9]\d*)$/;

/**
 * Objects whose keys are all non-negative integers become arrays ordered by key, recursively.
 * qs (behind express `urlencoded({extended:true})`) turns `rows[25][..]` into `{"25":…}` past its
 * array limit, and JSON clients sometimes send `{"0":…,"1":…}`; PHP sees both as arrays.
 */
export function normalizeArrayLike(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeArrayLike);
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => INDEX_RE.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => normalizeArrayLike(value[String(k)]));
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = normalizeArrayLike(value[key]);
  return out;
}

/** Top-level names that Bitrix also accepts under another spelling. */
const ALIASES: Record<string, string> = { arfields: "fields", arfilter: "filter", arorder: "order", arselect: "select" };

/** Lower-cases top-level names (first spelling wins) and normalizes nested array-likes. */
export function normalizeParams(raw: Params): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(raw)) {
    const lower = key.toLowerCase();
    const name = ALIASES[lower] ?? lower;
    if (!(name in out)) out[name] = normalizeArrayLike(value);
  }
  return out;
}

/** Splits `fields[PHONE][0][VALUE]` into `["fields","PHONE","0","VALUE"]`; `a[]` gives `["a",""]`. */
function splitKey(key: string): string[] {
  const open = key.indexOf("[");
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  let last = open;
  while ((m = re.exec(key)) !== null) {
    if (m.index !== last) break;
    parts.push(m[1] ?? "");
    last = re.lastIndex;
  }
  if (last !== key.length) return [key];
  return parts;
}

/**
 * Parses a query string the way PHP's parse_str does (the format of batch `cmd` strings and GET
 * calls): `select[]=ID&filter[>ID]=5&rows[0][PRICE]=1`. Later duplicates of a scalar key win.
 */
export function parseBracketQuery(query: string): Params {
  const root: Record<string, unknown> = {};
  const search = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  for (const [key, value] of search) {
    const path = splitKey(key);
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < path.length; i++) {
      const isLast = i === path.length - 1;
      let seg = path[i] as string;
      if (Array.isArray(node)) {
        // `[]` appends; an explicit index addresses the element.
        if (seg === "") seg = String(node.length);
      } else if (seg === "") {
        seg = String(Object.keys(node).filter((k) => INDEX_RE.test(k)).length);
      }
      const container = node as Record<string, unknown>;
      if (isLast) {
        container[seg] = value;
      } else {
        const next = container[seg];
        if (typeof next !== "object" || next === null) container[seg] = {};
        node = container[seg] as Record<string, unknown>;
      }
    }
  }
  return root;
}
