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
    const said = imported.stdout.match(
      /imported 126 row\(s\) of val_loss from results.tsv \(its baseline and (\d+) kept there, 1 line\(s\) skipped\) into tag im as import [0-9a-f]{12}: recorded when the tag starts/,
    );
    expect(said, imported.stdout).not.toBeNull();
    // As report counts them: the first row is karpathy's baseline (marked keep), not a keep.
    const keeps = lines.slice(2).filter((l) => l.split("\t")[3] === "keep").length;
    expect(lines[1]!.split("\t")[3]).toBe("keep");
    expect(Number(said![1])).toBe(keeps);

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
    expect(dashboard).toContain(
      `Imported history: 126 experiment(s) from \`results.tsv\` (${keeps} kept there)`,
    );
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

  it("--undo after the tag ran: an import-undo line withdraws it; the agent, status and report stop seeing it; resume works; a second undo is refused", () => {
    const repo = exampleRepo();
    const dir = tempDir();
    writeFileSync(
      join(dir, "agent.sh"),
      `cp "$AUTOEXP_PROMPT_FILE" ${JSON.stringify(dir)}/prompt-$AUTOEXP_ITERATION.md\necho "no idea" > "$AUTOEXP_DESCRIPTION_FILE"\n`,
    );
    writeFiles(repo, {
      "autoexp.yml": `${read(repo, "autoexp.yml").replace(/agent:[^\n]*\n( {2}[^\n]*\n)*/, "")}agent: { use: command, run: [sh, ${JSON.stringify(join(dir, "agent.sh"))}], writable: [${JSON.stringify(dir)}] }\npipeline: false\n`,
    });
    git(repo, "commit", "-qam", "a command agent");
    const tsv = join(dir, "results.tsv");
    writeFileSync(tsv, readFileSync(KARPATHY, "utf8").replace("val_bpb", "val_loss"));
    const imported = runCli(repo, ["import", tsv, "--tag", "un", "--json"]);
    expect(imported.code, imported.stderr).toBe(0);
    const lines = imported.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({ type: "done", exitCode: 0 });
    const id = lines.find((l) => l.type === "imported").id as string;
    expect(id).toMatch(/^[0-9a-f]{12}$/);

    const night = runCli(repo, ["run", "--tag", "un", "--experiments", "2"]);
    expect(night.code, night.stderr).toBe(0);
    expect(readFileSync(join(dir, "prompt-2.md"), "utf8")).toContain("Tried before autoexp");
    expect(branchLog(repo, "un").find((e) => e.type === "import")).toMatchObject({ id });

    // The log is append-only: the undo is a line of its own, naming the import it withdraws.
    const undo = runCli(repo, ["import", "--undo", "--tag", "un"]);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toContain(`undone: the import ${id} of 126 row(s) from results.tsv`);
    const log = branchLog(repo, "un");
    expect(log.filter((e) => e.type === "import")).toHaveLength(1);
    expect(log.at(-1)).toMatchObject({ type: "import-undo", import: id, rows: 126 });
    const dashboard = git(repo, "show", "autoexp/un:.autoexp/un/dashboard.md");
    expect(dashboard).not.toContain("Imported history");

    // status and report read the same record and agree: two experiments, nothing imported.
    const status = runCli(repo, ["status", "--tag", "un", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const shown = JSON.parse(status.stdout);
    expect(shown.imported).toEqual([]);
    const ledger = join(dir, "log.jsonl");
    writeFileSync(ledger, git(repo, "show", "autoexp/un:.autoexp/un/log.jsonl"));
    const report = runCli(repo, ["report", ledger, "--json"]);
    expect(report.code, report.stderr).toBe(0);
    const reported = report.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(reported.at(-1)).toEqual({ type: "done", exitCode: 0 });
    const summary = reported.find((l) => l.type === "report");
    expect(summary.imported).toEqual([]);
    expect(summary.counts).toEqual(shown.counts);
    expect(summary.markdown).not.toContain("Imported history");

    // A resume goes on from the signed record, and the agent is no longer told the withdrawn rows.
    const resume = runCli(repo, ["run", "--tag", "un", "--experiments", "1"]);
    expect(resume.code, resume.stderr).toBe(0);
    expect(
      branchLog(repo, "un")
        .filter((e) => e.type === "result")
        .map((e) => e.iteration),
    ).toEqual([0, 1, 2, 3]);
    const prompt = readFileSync(join(dir, "prompt-3.md"), "utf8");
    expect(prompt).not.toContain("Tried before autoexp");
    expect(prompt).not.toContain("halve batch 524K to 262K");

    // Nothing left to undo: refused with the reason, and nothing written.
    const head = git(repo, "rev-parse", "autoexp/un");
    const again = runCli(repo, ["import", "--undo", "--tag", "un", "--json"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      `the import ${id} (126 row(s) from results.tsv) was already undone`,
    );
    expect(JSON.parse(again.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      type: "done",
      exitCode: 2,
    });
    const never = runCli(repo, ["import", "--undo", "0123456789ab", "--tag", "un"]);
    expect(never.code).toBe(2);
    expect(never.stderr).toContain('no import "0123456789ab" was made into tag un');
    expect(git(repo, "rev-parse", "autoexp/un")).toBe(head);
    // Withdrawn rows may be imported again, as a new import with its own id.
    const reimport = runCli(repo, ["import", tsv, "--tag", "un"]);
    expect(reimport.code, reimport.stderr).toBe(0);
    expect(reimport.stdout).not.toContain(id);
  }, 120_000);

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
