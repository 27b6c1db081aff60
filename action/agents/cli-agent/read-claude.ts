import { clip } from "../../util/text.ts";
import { lastJson } from "./parse-json.ts";
import type { ToolReport } from "./tool-report.ts";

/** claude -p --output-format json prints one result object. */
export function readClaude(output: string): ToolReport {
  const result = lastJson(output, (j) => j.type === "result") as {
    is_error?: boolean;
    result?: string;
    total_cost_usd?: number;
    usage?: Record<string, number>;
  } | null;
  if (!result) return {};
  const u = result.usage ?? {};
  return {
    ...(result.usage
      ? {
          usage: {
            input:
              (u.input_tokens ?? 0) +
              (u.cache_creation_input_tokens ?? 0) +
              (u.cache_read_input_tokens ?? 0),
            output: u.output_tokens ?? 0,
          },
        }
      : {}),
    ...(typeof result.total_cost_usd === "number" ? { costUsd: result.total_cost_usd } : {}),
    ...(result.is_error
      ? { error: clip(result.result ?? "is_error") }
      : result.result
        ? { message: result.result }
        : {}),
  };
}
