import { readFile } from "node:fs/promises";
import { parseConfigText } from "../config/parse-config-text.ts";
import type { ValidationResult } from "../config/validate-config.ts";

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
