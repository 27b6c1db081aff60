import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import picomatch from "picomatch";
import { applyEdits } from "../../action/agents/edits/apply-edits.ts";
import type { EditScope } from "../../action/agents/edits/edit.ts";
import { parseAnswer } from "../../action/agents/edits/parse-answer.ts";

export const CORPUS = join(import.meta.dirname, "../fixtures/answers");

export interface AnswerCase {
  name: string;
  expect: "applied" | "rejected";
  reason?: string;
  description?: string;
  notes?: string[];
  changed?: string[];
}

interface Manifest {
  targets: string[];
  whole_file_max: number;
  cases: AnswerCase[];
}

export function loadCorpus(): { manifest: Manifest; base: Map<string, string>; scope: EditScope } {
  const manifest = JSON.parse(readFileSync(join(CORPUS, "cases.json"), "utf8")) as Manifest;
  const base = new Map<string, string>();
  for (const name of readdirSync(join(CORPUS, "files")))
    base.set(name, readFileSync(join(CORPUS, "files", name), "utf8"));
  const isTarget = picomatch(manifest.targets);
  const scope: EditScope = {
    files: [...base.keys()].filter((p) => isTarget(p)).sort(),
    mayCreate: (p) => isTarget(p),
    wholeFileMax: manifest.whole_file_max,
  };
  return { manifest, base, scope };
}

export type CaseOutcome =
  | { kind: "applied-correctly" }
  | { kind: "rejected-correctly"; reason: string }
  | { kind: "wrong"; why: string };

/** Runs one answer through parse and apply and compares with what the corpus expects. */
export function runCase(
  c: AnswerCase,
  base: Map<string, string>,
  scope: EditScope,
): CaseOutcome & { description?: string | null; notes?: string[] } {
  const answer = readFileSync(join(CORPUS, "cases", `${c.name}.txt`), "utf8");
  const parsed = parseAnswer(answer, scope);
  const applied = parsed.ok
    ? applyEdits(parsed.edits, (p) => base.get(p) ?? null, scope)
    : ({ ok: false, reason: parsed.reason } as const);
  const extra = { description: parsed.description, notes: parsed.notes };
  if (c.expect === "rejected") {
    if (applied.ok)
      return { kind: "wrong", why: "applied an answer that must be rejected", ...extra };
    return applied.reason.includes(c.reason ?? "")
      ? { kind: "rejected-correctly", reason: applied.reason, ...extra }
      : { kind: "wrong", why: `rejected for another reason: ${applied.reason}`, ...extra };
  }
  if (!applied.ok) return { kind: "wrong", why: `rejected: ${applied.reason}`, ...extra };
  const dir = join(CORPUS, "expected", c.name);
  const expected = existsSync(dir)
    ? listFiles(dir)
        .map((f) => relative(dir, f))
        .sort()
    : [];
  const changed = [...applied.files.entries()]
    .filter(([p, text]) => base.get(p) !== text)
    .map(([p]) => p)
    .sort();
  if (JSON.stringify(changed) !== JSON.stringify(expected))
    return {
      kind: "wrong",
      why: `changed ${changed.join(", ")}, expected ${expected.join(", ")}`,
      ...extra,
    };
  for (const p of expected) {
    if (applied.files.get(p) !== readFileSync(join(dir, p), "utf8"))
      return { kind: "wrong", why: `${p} differs from the expected result`, ...extra };
  }
  return { kind: "applied-correctly", ...extra };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [full];
  });
}
