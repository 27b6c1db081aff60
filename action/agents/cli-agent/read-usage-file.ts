import { readFile } from "node:fs/promises";
import { parseJson } from "./parse-json.ts";
import type { ToolReport } from "./tool-report.ts";

/** A `command` agent's $AUTOEXP_USAGE_FILE: {"input_tokens": n, "output_tokens": n, "cost_usd": x}. */
export async function readUsageFile(path: string): Promise<ToolReport> {
  const j = parseJson(await readFile(path, "utf8").catch(() => ""));
  if (!j) return {};
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
  return {
    usage: { input: n(j.input_tokens), output: n(j.output_tokens) },
    ...(typeof j.cost_usd === "number" ? { costUsd: n(j.cost_usd) } : {}),
  };
}
