// ANSI colour and cursor sequences, which progress bars and loggers print.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape byte is the point
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;
const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|NaN|inf|Inf|infinity|Infinity)`;
const NAME = String.raw`[A-Za-z_][\w.\-/]*`;
// karpathy (`val_bpb: 0.99`), pjhoberman (`SCORE: 0.9`), `score = 0.583`: a name at line start,
// the value after it, alone or followed by a parenthesised note (`score: 0.583 (7/12)`). A percent
// sign is not read (58.3% could mean 58.3 or 0.583): describeMissing says what was found instead.
const COLON_LINE = new RegExp(String.raw`^(${NAME})\s*[:=]\s*(${NUMBER})\s*(?:\([^()]*\))?\s*$`);
// pi-autoresearch: `METRIC name=value`.
const METRIC_LINE = new RegExp(String.raw`^METRIC\s+(${NAME})\s*=\s*(${NUMBER})\s*$`);

/**
 * Reads metrics from an eval's output in the four contracts users already have:
 * `name: value`, `SCORE: x`/`GUARD: x`, `METRIC name=value`, and a JSON object line.
 * The last value printed for a name wins. Non-finite values are kept as NaN/Infinity so
 * that the caller can call them a crash rather than a number.
 */
export function parseMetrics(output: string): Map<string, number> {
  const metrics = new Map<string, number>();
  visitMetricLines(output, (name, value) => metrics.set(name, value));
  return metrics;
}

/**
 * How many times each metric was printed. A metric printed more than once is worth a look: the
 * harness prints it once, so a second line may be the agent's code printing its own.
 */
export function countMetricLines(output: string): Map<string, number> {
  const counts = new Map<string, number>();
  visitMetricLines(output, (name) => counts.set(name, (counts.get(name) ?? 0) + 1));
  return counts;
}

function visitMetricLines(output: string, visit: (name: string, value: number) => void): void {
  for (const raw of output.replace(ANSI, "").split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("{") && line.endsWith("}")) {
      readJsonLine(line, visit);
      continue;
    }
    const match = METRIC_LINE.exec(line) ?? COLON_LINE.exec(line);
    if (match) visit(match[1]!, toNumber(match[2]!));
  }
}

function readJsonLine(line: string, visit: (name: string, value: number) => void): void {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const [name, v] of Object.entries(value)) {
    if (typeof v === "number") visit(name, v);
    else if (typeof v === "string" && new RegExp(`^(?:${NUMBER})$`).test(v.trim())) {
      visit(name, toNumber(v.trim()));
    } else if (v === null) visit(name, Number.NaN);
  }
}

function toNumber(text: string): number {
  const t = text.toLowerCase().replace(/^\+/, "");
  if (t === "nan" || t === "-nan") return Number.NaN;
  if (t === "inf" || t === "infinity") return Number.POSITIVE_INFINITY;
  if (t === "-inf" || t === "-infinity") return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/**
 * Why `name` did not parse: `name missing`, or, when a line starts with it but holds no plain
 * number after it, what was found: "accuracy missing (found `Accuracy:` but `58.3% (7/12)` is not
 * a number; print `accuracy: 0.583`)".
 */
export function describeMissing(output: string, name: string): string {
  const lower = name.toLowerCase();
  let found: { label: string; rest: string } | undefined;
  for (const raw of output.replace(ANSI, "").split(/\r\n|\r|\n/)) {
    const match = /^\s*([A-Za-z_][\w.\-/]*)\s*([:=])\s*(.*?)\s*$/.exec(raw);
    if (match && match[1]!.toLowerCase() === lower)
      found = { label: `${match[1]}${match[2]}`, rest: match[3]! };
  }
  if (!found) return `${name} missing`;
  const percent = /^([-+]?\d*\.?\d+)\s*%/.exec(found.rest);
  const example = percent ? String(Number(percent[1]) / 100) : "<number>";
  return `${name} missing (found \`${found.label}\` but \`${found.rest.slice(0, 60)}\` is not a number; print \`${name}: ${example}\`)`;
}

/** Looks a metric up by its exact name, then case-insensitively (`SCORE` for `score`). */
export function findMetric(metrics: ReadonlyMap<string, number>, name: string): number | undefined {
  const exact = metrics.get(name);
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [key, value] of metrics) if (key.toLowerCase() === lower) return value;
  return undefined;
}
