import { describe, expect, test } from "vitest";
import { applyEdits } from "../../action/agents/edits/apply-edits.ts";
import { parseAnswer } from "../../action/agents/edits/parse-answer.ts";
import { loadCorpus, runCase } from "../helpers/answers.ts";

const { manifest, base, scope } = loadCorpus();

describe("the corpus of model answers", () => {
  test("holds at least 30 answers, both kinds", () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(30);
    expect(manifest.cases.filter((c) => c.expect === "applied").length).toBeGreaterThan(10);
    expect(manifest.cases.filter((c) => c.expect === "rejected").length).toBeGreaterThan(10);
  });

  test.each(manifest.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const outcome = runCase(c, base, scope);
    expect(outcome.kind === "wrong" ? outcome.why : "ok").toBe("ok");
    expect(outcome.kind).toBe(c.expect === "applied" ? "applied-correctly" : "rejected-correctly");
    if (c.description) expect(outcome.description).toBe(c.description);
    if (c.notes) expect(outcome.notes).toEqual(c.notes);
  });
});

describe("edits, beyond the corpus", () => {
  const files = ["a.py", "b.py"];
  const s = { files, mayCreate: () => false, wholeFileMax: 1000 };

  test("edits apply in order, each to the text the one before left", () => {
    const answer =
      "a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n\na.py\n<<<<<<< SEARCH\nx = 2\n=======\nx = 3\n>>>>>>> REPLACE\n";
    const parsed = parseAnswer(answer, s);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const result = applyEdits(parsed.edits, () => "x = 1\ny = 0\n", s);
    expect(result.ok && result.files.get("a.py")).toBe("x = 3\ny = 0\n");
  });

  test("a file without a final newline keeps its last line editable", () => {
    const parsed = parseAnswer("a.py\n<<<<<<< SEARCH\ny = 0\n=======\ny = 5\n>>>>>>> REPLACE\n", s);
    if (!parsed.ok) throw new Error(parsed.reason);
    const result = applyEdits(parsed.edits, () => "x = 1\ny = 0", s);
    expect(result.ok && result.files.get("a.py")).toBe("x = 1\ny = 5");
  });

  test("a rejected answer still yields its description and notes", () => {
    const parsed = parseAnswer("DESCRIPTION: try it\nNOTE: remember this\nno edits here", s);
    expect(parsed).toMatchObject({ ok: false, description: "try it", notes: ["remember this"] });
  });
});
