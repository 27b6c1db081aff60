// Plain-text views of security findings, for test failures and bench/security.ts.
import { type FindingKind, type Findings, kindsOf } from "./security-types.ts";

export const KIND_LABELS: Record<FindingKind, string> = {
  keptWrong: "kept with a wrong score",
  recordDamaged: "record damaged",
  keysLeaked: "key leaked",
  persistence: "planted",
  crashes: "crash",
  hangs: "hang",
  notRun: "not run",
};

const SHORT: Record<FindingKind, string> = {
  keptWrong: "kept-wrong",
  recordDamaged: "record",
  keysLeaked: "key",
  persistence: "persist",
  crashes: "crash",
  hangs: "hang",
  notRun: "not-run",
};

/** "blocked" or the kinds that got through, short: "kept-wrong+persist". */
export function shortKinds(kinds: readonly FindingKind[]): string {
  return kinds.length === 0 ? "blocked" : kinds.map((k) => SHORT[k]).join("+");
}

/** Every finding, one per line, for a failed assertion or a verbose bench. */
export function describeFindings(findings: Findings): string {
  const lines = kindsOf(findings).flatMap((k) =>
    findings[k].map((m) => `  ${KIND_LABELS[k]}: ${m.slice(0, 300)}`),
  );
  return lines.length === 0 ? "  (nothing got through)" : lines.join("\n");
}
