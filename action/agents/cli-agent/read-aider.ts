import type { ToolReport } from "./tool-report.ts";

/** aider prints "Tokens: 2.1k sent, 156 received. Cost: $0.0086 message, $0.01 session." per call. */
export function readAider(output: string): ToolReport {
  const re =
    /Tokens: ([\d.,]+)([kKmM]?) sent(?:, [\d.,]+[kKmM]? cache \w+)*, ([\d.,]+)([kKmM]?) received\.(?: Cost: \$([\d.]+) message)?/g;
  let input = 0;
  let out = 0;
  let cost = 0;
  let seen = false;
  for (const m of output.matchAll(re)) {
    input += scaled(m[1]!, m[2]!);
    out += scaled(m[3]!, m[4]!);
    if (m[5]) cost += Number(m[5]);
    seen = true;
  }
  return seen ? { usage: { input, output: out }, ...(cost > 0 ? { costUsd: cost } : {}) } : {};
}

function scaled(value: string, unit: string): number {
  const x = Number(value.replace(/,/g, ""));
  return Math.round(x * (unit.toLowerCase() === "k" ? 1e3 : unit.toLowerCase() === "m" ? 1e6 : 1));
}
