/**
 * JSON(C) documents with line numbers: what every JSON file pptkit reads shares (pptkit.jsonc,
 * VM configs, quirk rules, slot maps), so that every complaint can say `file:line`.
 *
 * @module
 */

import {
  type Node as JsonNode,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { clip } from "./text.ts";

export type { JsonNode };

/** A parsed JSON(C) text that can say on which line each value was written. */
export interface JsonDoc {
  readonly file: string;
  /** The top-level value. */
  readonly root: JsonNode;
  /** 1-based line of a character offset. */
  lineOf(offset: number): number;
}

/** Why a JSON(C) text could not be parsed: the first error, with its line. */
export interface JsonSyntaxError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** Offsets where each line starts, for offset -> line look-ups by binary search. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return starts;
}

function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** `CloseBraceExpected` -> `close brace expected`. */
function errorWords(error: ParseError): string {
  const name = printParseErrorCode(error.error);
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    const upper = ch >= "A" && ch <= "Z";
    out += upper ? (i > 0 ? " " : "") + ch.toLowerCase() : ch;
  }
  return out;
}

/**
 * What a JSON(C) file pptkit reads may hold (pptkit.jsonc, a VM config, a quirks.d file, a slot
 * map are a few KB; the built-in quirks.jsonc, the largest, about 64 KB): larger or deeper is
 * not one of them, and a parser that recursed into it would run out of stack.
 */
export const JSON_LIMITS = { bytes: 1 << 20, depth: 64, values: 20_000 } as const;

/**
 * Why a text is beyond {@linkcode JSON_LIMITS}, or null: one pass that skips strings and
 * comments and counts nesting and commas (each comma is one more value).
 */
function beyondLimits(text: string, starts: readonly number[]): JsonSyntaxError | null {
  const at = (i: number, message: string) => ({ file: "", line: lineAt(starts, i), message });
  if (text.length > JSON_LIMITS.bytes) {
    return at(0, `larger than ${JSON_LIMITS.bytes >> 20} MiB (${text.length} characters)`);
  }
  let depth = 0, commas = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { // a string: to its closing quote, over escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) {
        if (text.charCodeAt(i) === 92) i++;
      }
    } else if (c === 47 && text.charCodeAt(i + 1) === 47) { // a // comment: to the line end
      while (i < text.length && text.charCodeAt(i) !== 10) i++;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) { // a /* comment */
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === 91 || c === 123) {
      if (++depth > JSON_LIMITS.depth) {
        return at(i, `nested deeper than ${JSON_LIMITS.depth} levels`);
      }
    } else if (c === 93 || c === 125) {
      depth--;
    } else if (c === 44 && ++commas >= JSON_LIMITS.values) {
      return at(i, `more than ${JSON_LIMITS.values} values`);
    }
  }
  return null;
}

/**
 * Parses JSON with comments (or, with `strict`, plain JSON as Go's encoding/json reads it: no
 * comments, no trailing commas). Returns the document or the first syntax error with its line;
 * a text beyond {@linkcode JSON_LIMITS} is such an error, never a crash.
 */
export function parseJsonDoc(
  text: string,
  file: string,
  strict = false,
): JsonDoc | JsonSyntaxError {
  const starts = lineStarts(text);
  const limit = beyondLimits(text, starts);
  if (limit !== null) return { ...limit, file };
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, {
    allowTrailingComma: !strict,
    disallowComments: strict,
    allowEmptyContent: false,
  });
  if (errors.length > 0) {
    const first = errors[0];
    return { file, line: lineAt(starts, first.offset), message: errorWords(first) };
  }
  if (root === undefined) return { file, line: 1, message: "no JSON value (empty file)" };
  return { file, root, lineOf: (offset) => lineAt(starts, offset) };
}

/** True when {@linkcode parseJsonDoc} failed. */
export function isSyntaxError(doc: JsonDoc | JsonSyntaxError): doc is JsonSyntaxError {
  return "message" in doc;
}

/** The properties of an object node as `[key, keyNode, valueNode]`, in file order. */
export function properties(node: JsonNode): [string, JsonNode, JsonNode][] {
  const out: [string, JsonNode, JsonNode][] = [];
  if (node.type !== "object") return out;
  for (const prop of node.children ?? []) {
    const [key, value] = prop.children ?? [];
    if (key !== undefined && value !== undefined) out.push([String(key.value), key, value]);
  }
  return out;
}

/** The value node of `key` in an object node (the last one, as JSON.parse would take). */
export function property(node: JsonNode, key: string): JsonNode | undefined {
  let found: JsonNode | undefined;
  for (const [k, , value] of properties(node)) if (k === key) found = value;
  return found;
}

/** The plain value of a node. */
export function nodeValue(node: JsonNode): unknown {
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, , v] of properties(node)) out[k] = nodeValue(v);
      return out;
    }
    case "array":
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

/** How a message names what a node holds: `a string "x"`, `a number 5`, `an object`. */
export function describeNode(node: JsonNode): string {
  switch (node.type) {
    case "string":
      return `a string ${JSON.stringify(clip(String(node.value)))}`;
    case "number":
      return `a number ${node.value}`;
    case "boolean":
      return `${node.value}`;
    case "null":
      return "null";
    case "array":
      return "an array";
    default:
      return "an object";
  }
}
