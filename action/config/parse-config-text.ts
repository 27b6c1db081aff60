import { parseDocument } from "yaml";
import type { ConfigProblem } from "./config-problem.ts";
import type { ValidationResult } from "./validate-config.ts";
import { validateConfig } from "./validate-config.ts";

/** Parses YAML text (JSON is YAML too) and validates it. */
export function parseConfigText(text: string): ValidationResult {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: ConfigProblem[] = doc.errors.map((e) => ({
      path: e.linePos ? `line ${e.linePos[0].line}` : "(yaml)",
      message: `YAML syntax: ${e.message.split("\n")[0]}`,
    }));
    return { ok: false, problems };
  }
  return validateConfig(doc.toJS());
}
