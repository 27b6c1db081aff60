import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { branchLog, exampleRepo, git, read, runCli, tempDir, writeFiles } from "../helpers/repo.ts";

const KARPATHY = join(
  import.meta.dirname,
  "..",
  "fixtures",
  "karpathy-autoresearch-H100-mar8-results.tsv",
);

describe("autoexp import: an existing results.tsv as history", () => {
  it("before the tag starts: recorded after the baseline, on the dashboard, and in the agent's prompt", () => {
    const repo = exampleRepo();
    // A command agent that saves the prompt it was given, so the test reads what the agent saw.
    const dir = tempDir();
    writeFileSync(
      join(dir, "agent.sh"),
      `cp "$AUTOEXP_PROMPT_FILE" ${JSON.stringify(dir)}/prompt-$AUTOEXP_ITERATION.md\necho "no idea" > "$AUTOEXP_DESCRIPTION_FILE"\n`,
    );
    writeFiles(repo, {
      "autoexp.yml": `${read(repo, "autoexp.yml").replace(/agent:[^\n]*\n( {2}[^\n]*\n)*/, "")}agent: { use: command, run: [sh, ${JSON.stringify(join(dir, "agent.sh"))}], writable: [${JSON.stringify(dir)}] }\npipeline: false\n`,
    });
    git(repo, "commit", "-qam", "a command agent");
    // One broken line in the middle of karpathy's real file: skipped and named, the rest kept.
    const lines = readFileSync(KARPATHY, "utf8").split("\n");
    lines.splice(40, 0, "not\ta\tvalid\trow");
    // The example's metric is val_loss: an import must be about the tag's own metric.
    lines[0] = lines[0]!.replace("val_bpb", "val_loss");
    const tsv = join(dir, "results.tsv");
    writeFileSync(tsv, lines.join("\n"));

    const imported = runCli(repo, ["import", tsv, "--tag", "im"]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain("line 41 skipped");
    expect(imported.stdout).toMatch(
      /imported 126 row\(s\) of val_loss from results.tsv \(\d+ kept there, 1 line\(s\) skipped\) into tag im: recorded when the tag starts/,
    );

    const run = runCli(repo, ["run", "--tag", "im", "--experiments", "1"]);
    expect(run.code, run.stderr).toBe(0);
    const log = branchLog(repo, "im");
    expect(log[0]!.type).toBe("config");
    expect(log[1]).toMatchObject({ type: "result", status: "baseline" });
    expect(log[2]).toMatchObject({
      type: "import",
      source: "results.tsv",
      metric: "val_loss",
      skipped: 1,
    });
    expect((log[2]!.rows as unknown[]).length).toBe(126);
    const dashboard = git(repo, "show", "autoexp/im:.autoexp/im/dashboard.md");
    expect(dashboard).toContain("Imported history: 126 experiment(s) from `results.tsv`");
    const prompt = readFileSync(join(dir, "prompt-1.md"), "utf8");
    expect(prompt).toContain(
      "Tried before autoexp (imported results.tsv; do not repeat dead ends)",
    );
    // A summary, not a tail cut mid-line: the best, karpathy's early keeps, the rest grouped.
    expect(prompt).toContain("Every keep, in order:");
    expect(prompt).toContain("- 0.986041: halve batch 524K to 262K (more steps in 5 min)");
    expect(prompt).toMatch(
      /Tried and not kept, grouped \(count, examples\):\n- [a-z_ ]+ \(\d+\): /,
    );
    const history = prompt.split("## Tried before autoexp")[1]!.split("\n## ")[0]!;
    expect(history).not.toContain("characters cut");
    // Imported rows are not experiments: one experiment recorded, numbered 1.
    expect(log.filter((e) => e.type === "result").map((e) => e.iteration)).toEqual([0, 1]);
    expect(readdirSync(join(repo, ".git", "autoexp", "im"))).not.toContain("import.json");
  });

  it("refuses a file that is not a results.tsv, and writes nothing", () => {
    const repo = exampleRepo();
    const file = join(tempDir(), "x.tsv");
    writeFileSync(file, "hello\tworld\n");
    const run = runCli(repo, ["import", file, "--tag", "bad"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("not a results.tsv");
    expect(run.stderr).toContain("nothing was imported");
  });
});
