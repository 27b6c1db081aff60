import { clip } from "../../util/text.ts";
import { parseJson } from "./parse-json.ts";
import type { ToolReport } from "./tool-report.ts";

/** codex exec --json prints JSON lines: turn.completed carries usage, agent_message the reply. */
export function readCodex(output: string): ToolReport {
  let input = 0;
  let out = 0;
  let seen = false;
  let message: string | undefined;
  let error: string | undefined;
  for (const line of output.split("\n")) {
    const j = parseJson(line);
    if (!j) continue;
    if (j.type === "turn.completed" && j.usage) {
      const u = j.usage as Record<string, number>;
      input += u.input_tokens ?? 0;
      out += u.output_tokens ?? 0;
      seen = true;
    } else if (j.type === "item.completed") {
      const item = j.item as { type?: string; text?: string } | undefined;
      if (item?.type === "agent_message" && item.text) message = item.text;
    } else if (j.type === "turn.failed" || j.type === "error") {
      const e =
        (j.error as { message?: string } | undefined)?.message ?? (j.message as string | undefined);
      error = clip(e ?? j.type);
    }
  }
  return {
    ...(seen ? { usage: { input, output: out } } : {}),
    ...(message ? { message } : {}),
    ...(error ? { error } : {}),
  };
}
