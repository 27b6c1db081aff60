import type { z } from "zod";
import { closest } from "../util/did-you-mean.ts";
import { configSchema } from "./schema.ts";

/** One thing wrong with a config: where (a dotted field path) and what to do about it. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** A schema issue as the person who wrote the config reads it: the field, what was written, the fix. */
export function problemOf(issue: z.core.$ZodIssue): ConfigProblem {
  const path = issue.path.map(String).join(".") || "(top level)";
  const input = (issue as { input?: unknown }).input;
  const custom = !/^Invalid|^Unrecognized key|^Too (small|big)/.test(issue.message);
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys(issue.path);
    return {
      path,
      message: issue.keys
        .map((key) => {
          const guess = closest(key, known);
          return `unknown field \`${key}\`: ${guess ? `did you mean \`${guess}\`?` : `the fields here are ${known.map((k) => `\`${k}\``).join(", ")}`}`;
        })
        .join("; "),
    };
  }
  if (input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_union")) {
    // The schema's own words, less a "<field> is required" they may start with.
    const own = issue.message.replace(/^(?:[\w.]+ )?is required:?\s*/, "");
    const what = custom ? own : REQUIRED[path];
    return { path, message: `is required${what ? `: ${what}` : ""}` };
  }
  if (issue.code === "invalid_type") {
    const expected = `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(input)}`;
    return { path, message: custom ? `${expected}: ${issue.message}` : expected };
  }
  if (issue.code === "invalid_value") {
    const options = issue.values.filter((v): v is string => typeof v === "string");
    const guess = typeof input === "string" ? closest(input, options) : undefined;
    const got = input === undefined ? "" : `, got ${describeValue(input)}`;
    return {
      path,
      message: `${custom ? issue.message : `must be one of ${options.join(", ")}`}${got}${guess ? `: did you mean \`${guess}\`?` : ""}`,
    };
  }
  if (issue.code === "invalid_union" && !custom && input !== undefined) {
    const glob = path === "target" || path === "frozen";
    return {
      path,
      message: `${glob ? 'expected a glob like "train.py" or a list of globs' : "has the wrong type"}, got ${describeValue(input)}`,
    };
  }
  if ((issue.code === "too_small" || issue.code === "too_big") && !custom) {
    const small = issue.code === "too_small";
    const bound = String(small ? issue.minimum : issue.maximum);
    const limit = small
      ? issue.inclusive
        ? "at least"
        : "more than"
      : issue.inclusive
        ? "at most"
        : "less than";
    const unit =
      issue.origin === "array" ? " item(s)" : issue.origin === "string" ? " character(s)" : "";
    const got =
      input === undefined
        ? ""
        : `, got ${issue.origin === "array" && Array.isArray(input) ? `${input.length}` : describeValue(input)}`;
    return { path, message: `must be ${limit} ${bound}${unit}${got}` };
  }
  return { path, message: withValue(issue.message, valueAt(issue.path, input)) };
}

/** What a required field is for, with an example, where zod's own words would say nothing. */
const REQUIRED: Record<string, string> = {
  target: "the files the agent may change, e.g. `target: [train.py]`",
  eval: "how to score the code, e.g. `eval: { command: python3 eval.py, metrics: { loss: { goal: minimize } } }`",
  "eval.command": "the command that prints the metrics, e.g. `command: python3 eval.py`",
  "eval.metrics": "what the eval prints, e.g. `metrics: { loss: { goal: minimize } }`",
};

/**
 * The value written where a problem is, from the issue's input: the input itself, or the field
 * it names where zod reports the object around it (a union's discriminator, `agent.use`).
 */
function valueAt(path: readonly PropertyKey[], input: unknown): unknown {
  const key = path.at(-1);
  if (input !== null && typeof input === "object" && !Array.isArray(input) && key !== undefined)
    return (input as Record<PropertyKey, unknown>)[key];
  return input;
}

/**
 * A message of ours with the value written where it does not say it ("… (you wrote -0.0005)"), the
 * closest of the choices it lists ("must be one of: a, b") to a string written.
 */
function withValue(message: string, value: unknown): string {
  if (
    value === undefined ||
    (value !== null && typeof value === "object") ||
    /\bgot\b/.test(message)
  )
    return message;
  const choices = /must be one of:? ([\w-]+(?:, [\w-]+)+)/.exec(message)?.[1]?.split(", ") ?? [];
  const guess = typeof value === "string" ? closest(value, choices) : undefined;
  return `${message} (you wrote ${describeValue(value)}${guess ? `: did you mean \`${guess}\`?` : ""})`;
}

/** What zod's `expected` means, in words. */
const EXPECTED: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "a string",
  boolean: "true or false",
  object: "a mapping (`key: value` lines or `{ key: value }`)",
  array: "a list (`[a, b]` or `- a` lines)",
  record: "a mapping",
};

/** A value as the person wrote it: strings quoted, lists and mappings named. */
function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 40)})`;
  if (value !== null && typeof value === "object") return "a mapping";
  return String(value);
}

type SchemaNode = { _zod: { def: Record<string, unknown> & { type: string } } };

/** The fields an object in the config may have at `path` (every agent's fields, for `agent`). */
export function knownKeys(path: readonly PropertyKey[]): string[] {
  let nodes: SchemaNode[] = [configSchema as unknown as SchemaNode];
  for (const part of path) {
    nodes = nodes.flatMap(objectsIn).flatMap((n) => {
      const shape = n._zod.def.shape as Record<string, SchemaNode> | undefined;
      const child = shape?.[String(part)];
      if (child) return [child];
      const value = n._zod.def.valueType as SchemaNode | undefined;
      return n._zod.def.type === "record" && value ? [value] : [];
    });
  }
  const keys = nodes
    .flatMap(objectsIn)
    .flatMap((n) => Object.keys((n._zod.def.shape as object | undefined) ?? {}));
  return [...new Set(keys)];
}

/** The object (or record) schemas a node stands for, through optional, default, pipe and union. */
function objectsIn(node: SchemaNode): SchemaNode[] {
  const def = node._zod.def;
  if (def.type === "object" || def.type === "record") return [node];
  if (def.type === "union") return (def.options as SchemaNode[]).flatMap(objectsIn);
  if (def.type === "pipe") return [def.in as SchemaNode, def.out as SchemaNode].flatMap(objectsIn);
  const inner = def.innerType as SchemaNode | undefined;
  return inner ? objectsIn(inner) : [];
}
