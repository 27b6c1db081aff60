import { z } from "zod";
import { tagProblem } from "../action/ledger/tag.ts";

export type Command =
  | { kind: "run"; config?: string; tag?: string; experiments?: number }
  | { kind: "status"; tag?: string }
  | { kind: "stop"; tag?: string }
  | { kind: "split"; tag?: string }
  | { kind: "attribute"; tag?: string }
  | { kind: "help" }
  /** `/autoexp` with something it does not understand: answered with the usage. */
  | { kind: "invalid"; reason: string };

export const USAGE = [
  "**autoexp commands** (first line of a comment; people with write access):",
  "",
  "- `/autoexp run [config] [tag=<tag>] [experiments=<n>]`: start a batch now (the workflow on the default branch)",
  "- `/autoexp status [tag]`: the latest summary of a tag",
  "- `/autoexp stop [tag]`: cancel the running batch",
  "- `/autoexp split [tag]`: one draft PR per independent change set of a tag, each verified alone",
  "- `/autoexp attribute [tag]`: each kept change's share of the gain, measured by taking it out",
  "- `/autoexp help`: this message",
].join("\n");

const TAG = z
  .string()
  .refine((t) => tagProblem(t) === null, "tag: lowercase letters, digits, '.', '_', '-'");
const CONFIG = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}\.ya?ml$/,
    "config: a path to a .yml file inside the repository",
  )
  .refine((p) => !p.split("/").includes(".."), "config: must stay inside the repository");
const EXPERIMENTS = z.coerce.number().int().min(1).max(1000);

/**
 * Reads a command from the first line of a comment only (a quoted or later `/autoexp` is text,
 * not a command). null: not addressed to autoexp. Arguments are validated strictly; anything
 * else is `invalid`, which is answered with the usage and runs nothing.
 */
export function parseCommand(body: string): Command | null {
  const first = (body.split(/\r?\n/, 1)[0] ?? "").trim();
  const m = /^\/autoexp(?:\s+(.*))?$/.exec(first);
  if (!m) return null;
  const words = (m[1] ?? "").trim().split(/\s+/).filter(Boolean);
  const [verb, ...args] = words;
  const named: Record<string, string> = {};
  const positional: string[] = [];
  for (const a of args) {
    const kv = /^([a-z]+)=(.*)$/.exec(a);
    if (kv) {
      if (named[kv[1]!] !== undefined)
        return { kind: "invalid", reason: `${kv[1]} is given twice` };
      named[kv[1]!] = kv[2]!;
    } else positional.push(a);
  }
  const check = <T>(schema: z.ZodType<T>, value: string): T | string => {
    const r = schema.safeParse(value);
    return r.success ? r.data : (r.error.issues[0]?.message ?? "invalid");
  };
  switch (verb) {
    case undefined:
    case "help":
      return words.length <= 1
        ? { kind: "help" }
        : { kind: "invalid", reason: "help takes no arguments" };
    case "run": {
      const unknown = Object.keys(named).filter((k) => k !== "tag" && k !== "experiments");
      if (unknown.length > 0) return { kind: "invalid", reason: `unknown argument ${unknown[0]}=` };
      if (positional.length > 1)
        return { kind: "invalid", reason: "run takes at most one config path" };
      const out: Extract<Command, { kind: "run" }> = { kind: "run" };
      if (positional[0] !== undefined) {
        const c = check(CONFIG, positional[0]);
        if (typeof c === "string" && c !== positional[0]) return { kind: "invalid", reason: c };
        out.config = positional[0];
      }
      if (named.tag !== undefined) {
        const t = check(TAG, named.tag);
        if (t !== named.tag) return { kind: "invalid", reason: String(t) };
        out.tag = named.tag;
      }
      if (named.experiments !== undefined) {
        if (!/^\d+$/.test(named.experiments))
          return { kind: "invalid", reason: "experiments: a whole number from 1 to 1000" };
        const n = check(EXPERIMENTS, named.experiments);
        if (typeof n === "string")
          return { kind: "invalid", reason: "experiments: a whole number from 1 to 1000" };
        out.experiments = n;
      }
      return out;
    }
    case "status":
    case "stop":
    case "split":
    case "attribute": {
      if (Object.keys(named).length > 0 || positional.length > 1)
        return { kind: "invalid", reason: `${verb} takes at most one tag` };
      if (positional[0] === undefined) return { kind: verb };
      const t = check(TAG, positional[0]);
      if (t !== positional[0]) return { kind: "invalid", reason: String(t) };
      return { kind: verb, tag: positional[0] };
    }
    default:
      return { kind: "invalid", reason: `unknown command ${JSON.stringify(verb.slice(0, 40))}` };
  }
}
