import type { ResultEntry } from "../../ledger/types.ts";
import { cutTail } from "./cut-text.ts";
import { RECENT } from "./recent.ts";
import { section } from "./section.ts";

const TAIL_CHARS = 1500;

/** The latest failure worth reading: a rejected answer, a crash's log tail, a violation. */
export function renderLastFailure(results: readonly ResultEntry[]): string {
  const last = results.at(-1);
  if (!last || last.iteration === 0) return "";
  const crash = results.findLast((r) => r.status === "crash" || r.status === "timeout");
  const parts: string[] = [];
  if (last.status === "agent_error" || last.status === "violation" || last.status === "no_change") {
    parts.push(
      `The previous experiment (#${last.iteration}) was not evaluated: ${last.status}: ${last.reason ?? last.description}`,
    );
  }
  if (crash?.log_tail && crash.iteration >= results.length - RECENT) {
    parts.push(
      `The last crash, #${crash.iteration} (${crash.status}: ${crash.description}), ended with:\n\`\`\`\n${cutTail(crash.log_tail.trim(), TAIL_CHARS)}\n\`\`\``,
    );
  }
  return parts.length > 0 ? section("Last failure", parts.join("\n\n")) : "";
}
