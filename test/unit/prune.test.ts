import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pruneScratch } from "../../action/agents/prompt.ts";
import { tempDir } from "../helpers/repo.ts";

describe("the agent's scratch folder", () => {
  it("keeps the last 20 experiments' prompts, answers and logs over a long night", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "notes.md"), "kept\n");
    for (let i = 1; i <= 300; i++) {
      for (const name of [`prompt-${i}.md`, `answer-${i}.md`, `agent-${i}.log`])
        writeFileSync(join(dir, name), "x");
      await pruneScratch(dir, i);
    }
    const left = readdirSync(dir);
    expect(left).toHaveLength(3 * 20 + 1);
    expect(left).toContain("notes.md");
    expect(left).toContain("prompt-281.md");
    expect(left).not.toContain("prompt-280.md");
  });
});
