import { describe, expect, it } from "vitest";
import { fitSummary, SUMMARY_LIMIT } from "../../action/github/action-main.ts";

describe("the job summary", () => {
  it("is the dashboard itself when it fits", () => {
    const md = "# autoexp\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
    expect(fitSummary(md)).toBe(md);
  });

  it("is cut at a line under GitHub's 1 MiB limit, saying so, when the dashboard is larger", () => {
    const row =
      "| 12345 | keep | 0.123456 | a description of the experiment that is fairly long |\n";
    const md = `# autoexp\n\n${row.repeat(Math.ceil((SUMMARY_LIMIT * 1.5) / row.length))}`;
    const cut = fitSummary(md);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(SUMMARY_LIMIT).toBeLessThan(1024 * 1024);
    expect(cut).toContain("cut to fit GitHub's job summary limit");
    const body = cut.slice(0, cut.indexOf("\n\n_The rest"));
    expect(body.endsWith("|")).toBe(true); // whole rows only
  });
});
