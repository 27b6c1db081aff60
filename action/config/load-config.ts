import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import type { ConfigProblem, ValidationResult } from "./validate-config.ts";
import { validateConfig } from "./validate-config.ts";

/** Reads and validates a config file. Never throws for bad content: problems come back as data. */
export async function loadConfig(file: string): Promise<ValidationResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? "file not found: create one with `autoexp init`, or pass --config PATH"
        : `cannot read the file (${code ?? String(error)})`;
    return { ok: false, problems: [{ path: "(file)", message }] };
  }
  return parseConfigText(text);
}

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
