import { ODataError, odataErrors } from "./odata-error";
import type { FieldSpec } from "./metadata";

/**
 * `$filter` for the sandbox: a real tokenizer and recursive-descent parser for the OData v3
 * subset 1C accepts, and an evaluator over in-memory records.
 *
 * Faithful details: a `+` is not a space (it is a syntax error, as on the platform); a bare number
 * compared with a string field is rejected and echoed (code 14); a string function over a
 * non-string field fails with 500 code -1; string comparison is case-insensitive (1C compares
 * strings by the database collation, which is case-insensitive on the usual MSSQL/PostgreSQL
 * setups).
 */

export type LiteralType = "string" | "guid" | "datetime" | "number" | "boolean" | "null";

export type FilterNode =
  | { kind: "literal"; type: LiteralType; value: string | number | boolean | null; raw: string }
  | { kind: "member"; path: string[] }
  | { kind: "binary"; op: BinaryOp; left: FilterNode; right: FilterNode }
  | { kind: "not"; operand: FilterNode }
  | { kind: "call"; name: string; args: FilterNode[] }
  | { kind: "lambda"; collection: string; fn: "any" | "all"; variable: string | null; body: FilterNode | null };

export type BinaryOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "and" | "or" | "add" | "sub" | "mul" | "div" | "mod";

type Token =
  | { t: "ident"; v: string; pos: number }
  | { t: "typed"; prefix: string; v: string; pos: number }
  | { t: "string"; v: string; pos: number }
  | { t: "number"; v: number; raw: string; pos: number }
  | { t: "punct"; v: "(" | ")" | "," | ":" | "/"; pos: number }
  | { t: "eof"; pos: number };

const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{N}_]/u;

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const chars = [...input];
  const at = (k: number): string => chars[k] ?? "";
  while (i < chars.length) {
    const c = at(i);
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "(" || c === ")" || c === "," || c === ":" || c === "/") {
      tokens.push({ t: "punct", v: c, pos: i });
      i++;
      continue;
    }
    if (c === "'") {
      const start = i;
      const { value, next } = readQuoted(chars, i);
      tokens.push({ t: "string", v: value, pos: start });
      i = next;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(at(i + 1)))) {
      const start = i;
      let raw = c;
      i++;
      while (/[0-9.]/.test(at(i)) || ((at(i) === "e" || at(i) === "E") && /[0-9+-]/.test(at(i + 1)))) {
        if (at(i) === "e" || at(i) === "E") {
          raw += at(i) + at(i + 1);
          i += 2;
          continue;
        }
        raw += at(i);
        i++;
      }
      // Edm suffixes: 1L (Int64), 1.5M (Decimal), 1.5d (Double), 1.5f (Single).
      if (/[LlMmDdFf]/.test(at(i)) && !IDENT_PART.test(at(i + 1))) i++;
      if (IDENT_PART.test(at(i))) throw odataErrors.filterSyntax(`неожиданный символ в позиции ${i + 1}`);
      const value = Number(raw);
      if (!Number.isFinite(value)) throw odataErrors.filterSyntax(`неправильное число ${raw}`);
      tokens.push({ t: "number", v: value, raw, pos: start });
      continue;
    }
    if (IDENT_START.test(c)) {
      const start = i;
      let v = "";
      while (IDENT_PART.test(at(i))) v += chars[i++];
      if (at(i) === "'") {
        const { value, next } = readQuoted(chars, i);
        tokens.push({ t: "typed", prefix: v.toLowerCase(), v: value, pos: start });
        i = next;
      } else {
        tokens.push({ t: "ident", v, pos: start });
      }
      continue;
    }
    throw odataErrors.filterSyntax(`неожиданный символ в позиции ${i + 1}`);
  }
  tokens.push({ t: "eof", pos: chars.length });
  return tokens;
}

function readQuoted(chars: string[], start: number): { value: string; next: number } {
  let i = start + 1;
  let value = "";
  for (;;) {
    if (i >= chars.length) throw odataErrors.filterSyntax("незакрытая кавычка");
    const c = chars[i] ?? "";
    if (c === "'") {
      if (chars[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, next: i + 1 };
    }
    value += c;
    i++;
  }
}

const COMPARISON = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?$/;

export function parseFilter(input: string): FilterNode {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const isWord = (tok: Token, word: string): boolean => tok.t === "ident" && tok.v === word;
  const expectPunct = (v: string): void => {
    const tok = next();
    if (tok.t !== "punct" || tok.v !== v) throw odataErrors.filterSyntax(`ожидается «${v}» в позиции ${tok.pos + 1}`);
  };

  const parseOr = (): FilterNode => {
    let left = parseAnd();
    while (isWord(peek(), "or")) {
      next();
      left = { kind: "binary", op: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterNode => {
    let left = parseComparison();
    while (isWord(peek(), "and")) {
      next();
      left = { kind: "binary", op: "and", left, right: parseComparison() };
    }
    return left;
  };
  const parseComparison = (): FilterNode => {
    const left = parseAdditive();
    const tok = peek();
    if (tok.t === "ident" && COMPARISON.has(tok.v)) {
      next();
      return { kind: "binary", op: tok.v as BinaryOp, left, right: parseAdditive() };
    }
    return left;
  };
  const parseAdditive = (): FilterNode => {
    let left = parseMultiplicative();
    for (let tok = peek(); tok.t === "ident" && (tok.v === "add" || tok.v === "sub"); tok = peek()) {
      next();
      left = { kind: "binary", op: tok.v, left, right: parseMultiplicative() };
    }
    return left;
  };
  const parseMultiplicative = (): FilterNode => {
    let left = parseUnary();
    for (let tok = peek(); tok.t === "ident" && (tok.v === "mul" || tok.v === "div" || tok.v === "mod"); tok = peek()) {
      next();
      left = { kind: "binary", op: tok.v, left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): FilterNode => {
    if (isWord(peek(), "not")) {
      next();
      return { kind: "not", operand: parseUnary() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): FilterNode => {
    const tok = next();
    switch (tok.t) {
      case "punct": {
        if (tok.v !== "(") break;
        const inner = parseOr();
        expectPunct(")");
        return inner;
      }
      case "string":
        return { kind: "literal", type: "string", value: tok.v, raw: `'${tok.v}'` };
      case "number":
        return { kind: "literal", type: "number", value: tok.v, raw: tok.raw };
      case "typed":
        return typedLiteral(tok.prefix, tok.v);
      case "ident": {
        if (tok.v === "true" || tok.v === "false") return { kind: "literal", type: "boolean", value: tok.v === "true", raw: tok.v };
        if (tok.v === "null") return { kind: "literal", type: "null", value: null, raw: "null" };
        const after = peek();
        if (after.t === "punct" && after.v === "(") {
          next();
          const args: FilterNode[] = [];
          if (!(peek().t === "punct" && (peek() as { v: string }).v === ")")) {
            args.push(parseOr());
            while (peek().t === "punct" && (peek() as { v: string }).v === ",") {
              next();
              args.push(parseOr());
            }
          }
          expectPunct(")");
          return { kind: "call", name: tok.v, args };
        }
        return parseMemberPath(tok.v);
      }
      case "eof":
        throw odataErrors.filterSyntax("неожиданный конец выражения");
    }
    throw odataErrors.filterSyntax(`неожиданная лексема в позиции ${tok.pos + 1}`);
  };
  const parseMemberPath = (first: string): FilterNode => {
    const path = [first];
    while (peek().t === "punct" && (peek() as { v: string }).v === "/") {
      next();
      const seg = next();
      if (seg.t !== "ident") throw odataErrors.filterSyntax(`ожидается имя поля в позиции ${seg.pos + 1}`);
      const after = peek();
      if ((seg.v === "any" || seg.v === "all") && after.t === "punct" && after.v === "(") {
        next();
        if (path.length !== 1) throw odataErrors.filterSyntax("лямбда допустима только над табличной частью");
        if (peek().t === "punct" && (peek() as { v: string }).v === ")") {
          next();
          if (seg.v === "all") throw odataErrors.filterSyntax("all() требует выражение");
          return { kind: "lambda", collection: first, fn: "any", variable: null, body: null };
        }
        const variable = next();
        if (variable.t !== "ident") throw odataErrors.filterSyntax("ожидается имя переменной лямбды");
        expectPunct(":");
        const body = parseOr();
        expectPunct(")");
        return { kind: "lambda", collection: first, fn: seg.v, variable: variable.v, body };
      }
      path.push(seg.v);
    }
    return { kind: "member", path };
  };

  const root = parseOr();
  const rest = peek();
  if (rest.t !== "eof") throw odataErrors.filterSyntax(`неожиданная лексема в позиции ${rest.pos + 1}`);
  return root;
}

function typedLiteral(prefix: string, text: string): FilterNode {
  if (prefix === "guid") {
    if (!GUID_RE.test(text)) throw odataErrors.filterSyntax("неправильный литерал guid");
    return { kind: "literal", type: "guid", value: text.toLowerCase(), raw: `guid'${text}'` };
  }
  if (prefix === "datetime") {
    const m = DATETIME_RE.exec(text);
    if (!m) throw odataErrors.filterSyntax("неправильный литерал datetime");
    const value = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}`;
    return { kind: "literal", type: "datetime", value, raw: `datetime'${text}'` };
  }
  throw odataErrors.filterSyntax(`неподдерживаемый тип литерала ${prefix}`);
}

// ---------------------------------------------------------------------------------------------
// Binding and evaluation

/** What the filter may reference: the set's fields and its tabular parts (for lambdas). */
export interface FilterSchema {
  fields: readonly FieldSpec[];
  collections: ReadonlyMap<string, readonly FieldSpec[]>;
}

type Row = Record<string, unknown>;
type Scope = { record: Row; variable: string | null; row: Row | null; rowFields: readonly FieldSpec[] | null };
type Value = string | number | boolean | null;
type Evaluator = (scope: Scope) => Value;
type StaticType = "string" | "guid" | "datetime" | "number" | "boolean" | "null" | "any";

const collator = new Intl.Collator("ru", { sensitivity: "accent" });

function fieldStaticType(f: FieldSpec): StaticType {
  switch (f.type) {
    case "guid":
      return "guid";
    case "string":
    case "enum":
      return "string";
    case "boolean":
      return "boolean";
    case "double":
    case "int64":
      return "number";
    case "datetime":
      return "datetime";
  }
}

/** Compiles a parsed filter against a schema; unknown fields and type mismatches fail here. */
export function compileFilter(node: FilterNode, schema: FilterSchema): (record: Row) => boolean {
  const evaluate = bind(node, schema, null);
  return (record) => evaluate.fn({ record, variable: null, row: null, rowFields: null }) === true;
}

/** parseFilter + compileFilter. */
export function buildFilter(text: string, schema: FilterSchema): (record: Row) => boolean {
  return compileFilter(parseFilter(text), schema);
}

interface Bound {
  fn: Evaluator;
  type: StaticType;
  /** Set for a bare field reference (so type checks can name it). */
  field?: FieldSpec;
  literal?: FilterNode & { kind: "literal" };
}

interface LambdaCtx {
  variable: string;
  fields: readonly FieldSpec[];
}

function bind(node: FilterNode, schema: FilterSchema, lambda: LambdaCtx | null): Bound {
  switch (node.kind) {
    case "literal": {
      const value = node.value;
      return { fn: () => value, type: node.type, literal: node };
    }
    case "member":
      return bindMember(node.path, schema, lambda);
    case "not": {
      const inner = bind(node.operand, schema, lambda);
      return { fn: (s) => !(inner.fn(s) === true), type: "boolean" };
    }
    case "lambda": {
      if (lambda) throw odataErrors.filterSyntax("вложенные лямбда-выражения не поддерживаются");
      const fields = schema.collections.get(node.collection);
      if (!fields) throw new ODataError(400, "6", "Табличная часть в выражении отбора не найдена");
      const collection = node.collection;
      const variable = node.variable;
      if (node.body === null || variable === null) {
        return { fn: (s) => rowsOf(s.record, collection).length > 0, type: "boolean" };
      }
      const body = bind(node.body, schema, { variable, fields });
      const test = (s: Scope, row: Row): boolean => body.fn({ record: s.record, variable, row, rowFields: fields }) === true;
      return node.fn === "any"
        ? { fn: (s) => rowsOf(s.record, collection).some((row) => test(s, row)), type: "boolean" }
        : { fn: (s) => rowsOf(s.record, collection).every((row) => test(s, row)), type: "boolean" };
    }
    case "binary":
      return bindBinary(node.op, bind(node.left, schema, lambda), bind(node.right, schema, lambda));
    case "call":
      return bindCall(node.name, node.args.map((a) => bind(a, schema, lambda)));
  }
}

function rowsOf(record: Row, collection: string): Row[] {
  const rows = record[collection];
  return Array.isArray(rows) ? (rows as Row[]) : [];
}

function bindMember(path: string[], schema: FilterSchema, lambda: LambdaCtx | null): Bound {
  if (lambda && path[0] === lambda.variable) {
    if (path.length !== 2) throw new ODataError(400, "6", "Поле в выражении отбора не найдено");
    const name = path[1] as string;
    const field = lambda.fields.find((f) => f.name === name);
    if (!field) throw new ODataError(400, "6", "Поле в выражении отбора не найдено");
    return { fn: (s) => normalise(s.row?.[name]), type: fieldStaticType(field), field };
  }
  if (path.length !== 1) throw new ODataError(400, "6", "Поле в выражении отбора не найдено");
  const name = path[0] as string;
  const field = schema.fields.find((f) => f.name === name);
  if (!field) throw new ODataError(400, "6", "Поле в выражении отбора не найдено");
  return { fn: (s) => normalise(s.record[name]), type: fieldStaticType(field), field };
}

function normalise(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return null;
}

function compatible(a: StaticType, b: StaticType): boolean {
  if (a === "any" || b === "any" || a === "null" || b === "null" || a === b) return true;
  // The platform compares a datetime literal with a string field without complaint (probe P7).
  if ((a === "string" && b === "datetime") || (a === "datetime" && b === "string")) return true;
  return false;
}

function checkOperands(left: Bound, right: Bound): void {
  if (compatible(left.type, right.type)) return;
  // A bare number against a non-numeric field is echoed back by the platform (probe P7).
  const numeric = left.literal?.type === "number" ? left.literal : right.literal?.type === "number" ? right.literal : undefined;
  if (numeric) throw odataErrors.filterSyntax(`несовместимый тип операнда ${numeric.raw}`);
  throw odataErrors.filterSyntax("несовместимые типы операндов");
}

function compareValues(a: Value, b: Value): number | null {
  if (a === null || b === null) return a === b ? 0 : null;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  if (typeof a === "string" && typeof b === "string") return collator.compare(a, b);
  return null;
}

function bindBinary(op: BinaryOp, left: Bound, right: Bound): Bound {
  switch (op) {
    case "and":
      return { fn: (s) => left.fn(s) === true && right.fn(s) === true, type: "boolean" };
    case "or":
      return { fn: (s) => left.fn(s) === true || right.fn(s) === true, type: "boolean" };
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "mod": {
      for (const side of [left, right]) {
        if (side.type !== "number" && side.type !== "any") throw odataErrors.filterSyntax("арифметика допустима только над числами");
      }
      const f = arithmetic[op];
      return {
        fn: (s) => {
          const a = left.fn(s);
          const b = right.fn(s);
          return typeof a === "number" && typeof b === "number" ? f(a, b) : null;
        },
        type: "number",
      };
    }
    default: {
      checkOperands(left, right);
      const test = comparison[op];
      return { fn: (s) => test(compareValues(left.fn(s), right.fn(s))), type: "boolean" };
    }
  }
}

const arithmetic: Record<"add" | "sub" | "mul" | "div" | "mod", (a: number, b: number) => number | null> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => (b === 0 ? null : a / b),
  mod: (a, b) => (b === 0 ? null : a % b),
};

const comparison: Record<"eq" | "ne" | "gt" | "ge" | "lt" | "le", (c: number | null) => boolean> = {
  eq: (c) => c === 0,
  ne: (c) => c !== 0,
  gt: (c) => c !== null && c > 0,
  ge: (c) => c !== null && c >= 0,
  lt: (c) => c !== null && c < 0,
  le: (c) => c !== null && c <= 0,
};

function requireString(arg: Bound | undefined): Bound {
  if (!arg) throw odataErrors.filterSyntax("не хватает аргументов функции");
  if (arg.type === "string" || arg.type === "any" || arg.type === "null") return arg;
  // A string function over a guid/number/date field fails inside the platform, not in the parser.
  throw odataErrors.internal("Произошла внутренняя ошибка OData сервиса: недопустимый тип аргумента функции");
}

const lower = (v: Value): string | null => (typeof v === "string" ? v.toLocaleLowerCase("ru") : null);

function bindCall(name: string, args: Bound[]): Bound {
  const arity = (n: number): void => {
    if (args.length !== n) throw odataErrors.filterSyntax(`функция ${name} ожидает ${n} аргумент(а)`);
  };
  switch (name) {
    case "substringof": {
      arity(2);
      const needle = requireString(args[0]);
      const hay = requireString(args[1]);
      return { fn: (s) => stringTest(hay.fn(s), needle.fn(s), (h, n) => h.includes(n)), type: "boolean" };
    }
    case "startswith":
    case "endswith": {
      arity(2);
      const hay = requireString(args[0]);
      const part = requireString(args[1]);
      const test = name === "startswith" ? (h: string, n: string) => h.startsWith(n) : (h: string, n: string) => h.endsWith(n);
      return { fn: (s) => stringTest(hay.fn(s), part.fn(s), test), type: "boolean" };
    }
    case "tolower":
    case "toupper":
    case "trim": {
      arity(1);
      const a = requireString(args[0]);
      const f = name === "tolower" ? (v: string) => v.toLocaleLowerCase("ru") : name === "toupper" ? (v: string) => v.toLocaleUpperCase("ru") : (v: string) => v.trim();
      return { fn: (s) => { const v = a.fn(s); return typeof v === "string" ? f(v) : null; }, type: "string" };
    }
    case "length": {
      arity(1);
      const a = requireString(args[0]);
      return { fn: (s) => { const v = a.fn(s); return typeof v === "string" ? [...v].length : null; }, type: "number" };
    }
    case "year":
    case "month":
    case "day":
    case "hour":
    case "minute":
    case "second": {
      arity(1);
      const a = args[0] as Bound;
      if (a.type !== "datetime" && a.type !== "any") throw odataErrors.internal("Произошла внутренняя ошибка OData сервиса: недопустимый тип аргумента функции");
      const index = { year: 1, month: 2, day: 3, hour: 4, minute: 5, second: 6 }[name];
      return {
        fn: (s) => {
          const v = a.fn(s);
          const m = typeof v === "string" ? DATETIME_RE.exec(v) : null;
          return m ? Number(m[index] ?? 0) : null;
        },
        type: "number",
      };
    }
    default:
      throw odataErrors.filterSyntax(`неизвестная функция ${name}`);
  }
}

function stringTest(hay: Value, needle: Value, test: (h: string, n: string) => boolean): boolean {
  const h = lower(hay);
  const n = lower(needle);
  return h !== null && n !== null && test(h, n);
}
