import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const DIR = join(import.meta.dirname, "../../templates/program");

describe("program.md templates", () => {
  const names = readdirSync(DIR).filter((f) => f.endsWith(".md"));

  it("cover ML training, performance tuning, prompt optimisation and an adopted autoresearch", () => {
    expect(names.sort()).toEqual([
      "autoresearch.md",
      "ml-training.md",
      "performance.md",
      "prompt-optimisation.md",
    ]);
  });

  it.each(names)(
    "%s states the loop's rules: one idea, the simplicity criterion, never ask, fixed eval",
    (name) => {
      const text = readFileSync(join(DIR, name), "utf8");
      expect(text).toMatch(/\*\*One idea per experiment/);
      expect(text).toMatch(/\*\*Simplicity criterion\.\*\*/);
      expect(text).toMatch(/\*\*Never stop to ask\.\*\*/);
      expect(text).toMatch(
        /fixed; a change that\s+edits them is rejected unseen|fixed\. Do not touch (them|it)/,
      );
      expect(text).toMatch(/\*\*Read the history first\.\*\*/);
    },
  );
});
