import { parseDocument } from "yaml";
import type { ConfigProblem } from "./config-problem.ts";
import type { ValidationResult } from "./validate-config.ts";
import { validateConfig } from "./validate-config.ts";

/** Parses YAML text (JSON is YAML too) and validates it. */
export function parseConfigText(text: string): ValidationResult {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: ConfigProblem[] = doc.errors.map((e) => {
      const [first, ...frame] = e.message.split("\n");
      const [from, to] = e.linePos ?? [];
      // The error's own span (an indented key runs on from the line before it), and the lines
      // the parser shows with a caret under where it stopped.
      const lines = !from
        ? "(yaml)"
        : to && to.line > from.line
          ? `lines ${from.line}-${to.line}`
          : `line ${from.line}`;
      const shown = frame.filter((l) => l.trim() !== "").map((l) => `\n      | ${l}`);
      return {
        path: lines,
        message: `YAML syntax: ${first!.replace(/ at line \d+, column \d+:$/, "")}${shown.join("")}`,
      };
    });
    return { ok: false, problems };
  }
  return validateConfig(doc.toJS());
}
