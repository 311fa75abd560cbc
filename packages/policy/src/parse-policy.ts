import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node, Pair } from "yaml";
import type { z } from "zod";
import { policySchema } from "./schema";
import type { Policy } from "./schema";

/** The policy file shipped with the repository: `config/concord.policy.yaml`. */
export const defaultPolicyPath = resolve(__dirname, "..", "..", "..", "config", "concord.policy.yaml");

/** One problem in a policy file. `line`/`column` are 1-based; 0 when the file could not be read. */
export interface PolicyProblem {
  line: number;
  column: number;
  /** Dotted path of the offending node (`statusMap.crmToErp`); empty for YAML syntax errors. */
  path: string;
  message: string;
}

/** The policy file is unreadable or invalid. The message has one `file:line:column path: message` line per problem. */
export class PolicyError extends Error {
  constructor(
    readonly fileName: string,
    readonly problems: PolicyProblem[],
    options?: { cause?: unknown },
  ) {
    super(`Invalid policy ${fileName}:\n${problems.map((p) => formatProblem(fileName, p)).join("\n")}`, options);
    this.name = "PolicyError";
  }
}

export function formatProblem(fileName: string, problem: PolicyProblem): string {
  const where = problem.line > 0 ? `${fileName}:${problem.line}:${problem.column}` : fileName;
  return problem.path ? `${where} ${problem.path}: ${problem.message}` : `${where} ${problem.message}`;
}

/** Reads and validates a policy file; throws PolicyError listing every problem. */
export function loadPolicy(path: string = defaultPolicyPath): Policy {
  const absolute = resolve(path);
  const shown = relative(process.cwd(), absolute);
  const fileName = shown && !shown.startsWith("..") && !isAbsolute(shown) ? shown : absolute;
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PolicyError(fileName, [{ line: 0, column: 0, path: "", message: `cannot read the policy file: ${reason}` }], {
      cause: error,
    });
  }
  return parsePolicy(text, fileName);
}

/** Validates policy YAML text; `fileName` only labels the errors. Throws PolicyError listing every problem. */
export function parsePolicy(text: string, fileName: string): Policy {
  const lineCounter = new LineCounter();
  // Duplicate keys are found by our own walk below, which also knows the path of the map.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const yamlProblems: PolicyProblem[] = [...doc.errors, ...doc.warnings].map((error) => ({
    ...at(error.pos[0]),
    path: "",
    message: error.message,
  }));
  // A document that does not parse gives a partial tree; validating it would only add noise.
  if (doc.errors.length > 0) throw new PolicyError(fileName, sortProblems(yamlProblems));

  const problems = [...yamlProblems, ...findDuplicateKeys(doc, at)];
  const parsed = policySchema.safeParse(doc.toJS({ maxAliasCount: 100 }), { reportInput: true });
  if (parsed.success && problems.length === 0) return parsed.data;
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((issue) => toProblems(doc, issue, at)));
  throw new PolicyError(fileName, sortProblems(dedupe(problems)));
}

type Segment = string | number;
type At = (offset: number) => { line: number; column: number };

function toProblems(doc: Document, issue: z.core.$ZodIssue, at: At): PolicyProblem[] {
  const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  if (issue.code === "unrecognized_keys") {
    const allowed = allowedKeys(issue);
    return issue.keys.map((key) => ({
      ...locate(doc, [...path, key], "key", at),
      path: joinPath(path),
      message: `unknown key "${key}"${allowed ? `; expected one of: ${allowed}` : ""}`,
    }));
  }
  if (issue.code === "invalid_union") {
    // `{ beforePosting: both, … }` fails both `crm | erp` and the switch; the option whose
    // problems are all inside the value is the one the author meant, and its problems are precise.
    const meant = issue.errors.filter(
      (option) =>
        option.length > 0 && option.every((inner) => inner.path.length > 0 || inner.code === "unrecognized_keys"),
    );
    if (meant.length === 1 && meant[0]) {
      return meant[0].flatMap((inner) => toProblems(doc, { ...inner, path: [...issue.path, ...inner.path] }, at));
    }
  }
  const onKey = issue.code === "custom" && (issue.params as { at?: unknown } | undefined)?.at === "key";
  // A missing key is a problem of the map that should hold it.
  const missing = isMissing(issue);
  return [
    {
      ...locate(doc, path, onKey ? "key" : "value", at),
      path: joinPath(missing ? path.slice(0, -1) : path),
      message: messageOf(issue, path),
    },
  ];
}

function messageOf(issue: z.core.$ZodIssue, path: Segment[]): string {
  if (isMissing(issue)) {
    return `missing required key "${String(path[path.length - 1])}"`;
  }
  if (issue.code === "invalid_type") {
    const got = issue.input === null ? "nothing (empty value)" : `${describe(issue.input)}`;
    return `expected ${issue.expected}, got ${got}`;
  }
  return issue.message;
}

/** A required key that is absent: zod reports it as a type or enum mismatch of `undefined`. */
function isMissing(issue: z.core.$ZodIssue): boolean {
  return (issue.code === "invalid_type" || issue.code === "invalid_value") && issue.input === undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** zod does not list the allowed keys of a strict object; the schema at the issue's path does. */
function allowedKeys(issue: z.core.$ZodIssueUnrecognizedKeys): string | undefined {
  let shape = shapeOf(policySchema);
  for (const segment of issue.path) {
    const field = shape?.[String(segment)];
    shape = field ? shapeOf(field) : undefined;
  }
  return shape ? Object.keys(shape).join(", ") : undefined;
}

/** The object shape behind optional/default wrappers, or the object option of a union. */
function shapeOf(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
  const def = schema._zod.def as {
    shape?: Record<string, z.core.$ZodType>;
    innerType?: z.core.$ZodType;
    options?: z.core.$ZodType[];
  };
  if (def.shape) return def.shape;
  if (def.innerType) return shapeOf(def.innerType);
  for (const option of def.options ?? []) {
    const shape = shapeOf(option);
    if (shape) return shape;
  }
  return undefined;
}

/**
 * The line and column of the node at `path` — its key or its value — falling back to the
 * nearest existing parent (a missing key is reported at the map that should hold it).
 */
function locate(doc: Document, path: Segment[], part: "key" | "value", at: At): { line: number; column: number } {
  let node: unknown = doc.contents;
  let lastPair: Pair | undefined;
  let found = 0;
  for (const segment of path) {
    const next = child(node, segment);
    if (!next) break;
    ({ node, pair: lastPair } = next);
    found += 1;
  }
  const complete = found === path.length;
  const keyNode = lastPair && isNodeWithRange(lastPair.key) ? lastPair.key : undefined;
  const valueNode = isNodeWithRange(node) ? node : undefined;
  // A missing key, or an empty value (`status:`), is shown at the key that holds it.
  const target =
    !complete || part === "key" || !valueNode || (isScalar(valueNode) && valueNode.value === null)
      ? (keyNode ?? valueNode)
      : valueNode;
  const offset = target?.range?.[0];
  return offset === undefined ? { line: 1, column: 1 } : at(offset);
}

function child(node: unknown, segment: Segment): { node: unknown; pair: Pair | undefined } | undefined {
  if (isMap(node)) {
    // The last of duplicate keys is the one that reaches the parsed object.
    const pair = node.items.findLast((item) => keyText(item.key) === String(segment));
    return pair ? { node: pair.value, pair } : undefined;
  }
  if (isSeq(node) && typeof segment === "number") {
    const item: unknown = node.items[segment];
    return item === undefined ? undefined : { node: isPair(item) ? item.value : item, pair: undefined };
  }
  return undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function isNodeWithRange(value: unknown): value is Node {
  return typeof value === "object" && value !== null && "range" in value && Array.isArray((value as Node).range);
}

function findDuplicateKeys(doc: Document, at: At): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const walk = (node: unknown, path: Segment[]) => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = keyText(pair.key);
        if (key !== undefined && seen.has(key)) {
          const offset = isNodeWithRange(pair.key) ? pair.key.range?.[0] : undefined;
          problems.push({
            ...(offset === undefined ? { line: 1, column: 1 } : at(offset)),
            path: joinPath(path),
            message: `duplicate key "${key}"`,
          });
        }
        if (key !== undefined) seen.add(key);
        walk(pair.value, [...path, key ?? "?"]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, [...path, index]));
    }
  };
  walk(doc.contents, []);
  return problems;
}

function joinPath(path: Segment[]): string {
  return path.length === 0 ? "(root)" : path.join(".");
}

function sortProblems(problems: PolicyProblem[]): PolicyProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
