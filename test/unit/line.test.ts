import { describe, expect, it } from "vitest";
import { lineBrief, programForLine } from "../../action/agents/line.ts";

const PROGRAM = `# Research direction
Make the loss small.

## Line 1
Tune the learning rate.
### Details for line 1
Warmup too.

## line 2 (architecture)
Change the depth.

## Rules
Never touch the data.
`;

describe("a line's program.md", () => {
  it("keeps the shared text and its own `## Line <i>` section, with its subsections", () => {
    const one = programForLine(PROGRAM, { index: 1, of: 2 });
    expect(one).toContain("Tune the learning rate.");
    expect(one).toContain("Warmup too.");
    expect(one).not.toContain("Change the depth.");
    expect(one).toContain("Never touch the data.");
    const two = programForLine(PROGRAM, { index: 2, of: 2 });
    expect(two).toContain("Change the depth.");
    expect(two).not.toContain("Tune the learning rate.");
    expect(two).not.toContain("Warmup too.");
    expect(two).toContain("Make the loss small.");
    expect(two).toContain("Never touch the data.");
  });

  it("leaves program.md whole without a line, or for a line with no section of its own", () => {
    expect(programForLine(PROGRAM, undefined)).toBe(PROGRAM);
    const three = programForLine(PROGRAM, { index: 3, of: 3 });
    expect(three).not.toContain("Tune the learning rate.");
    expect(three).toContain("Never touch the data.");
    expect(programForLine("No sections.\n", { index: 2, of: 4 })).toBe("No sections.\n");
  });

  it("tells the agent its number and how many lines run", () => {
    expect(lineBrief({ index: 3, of: 8 })).toMatch(/^You are line 3 of 8: 8 agents explore/);
  });
});
