import { mkdirSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { formatLines, parseLog } from "../../action/ledger/log-jsonl.ts";
import { renderRecordFiles } from "../../action/ledger/record-files.ts";
import { formatGainLine, formatVerifiedLine } from "../../action/ledger/render-verified.ts";
import type { ResultEntry, SplitEntry, VerifyEntry } from "../../action/ledger/types.ts";
import { formatEvent } from "../../action/report/format-event.ts";
import { renderPr, renderStatusAnswer } from "../../app/pr-body.ts";
import { renderSplitLinks, renderSplitPr } from "../../app/split-prs.ts";
import { oneNight } from "../helpers/one-night.ts";
import { git, makeRepo, runCli } from "../helpers/repo.ts";

// Every surface of the morning view, rendered from one night, read back as a reader would read
// it: the numbers must be the same everywhere (issue 24: "over 9 experiment(s); 2 kept" beside
// "10 experiments … 2 keep" and "10 experiments · 3 kept"; a kept Δ −21.8 beside CI [7.4, 36.2];
// split's "gain 18.4" where verify says "−44 ± 38"; two charts in the PR).

const REPO_URL = "https://github.com/octo-org/octo-repo";
const text = formatLines(oneNight());
const log = parseLog(text);
const files = renderRecordFiles(log, "night");
const verify = log.verifies.at(-1) as VerifyEntry;
const split = log.splits?.at(-1) as SplitEntry;

/** A number as the surfaces write it: a real minus, ±, a plus. */
function num(s: string): number {
  return Number(s.replace("−", "-").replace("±", "").replace("+", ""));
}

const N = String.raw`[−+±]?\d+(?:\.\d+)?`;

/** "6 experiments" and "2 kept" as a surface states them. */
function counts(surface: string): { experiments: number[]; kept: number[] } {
  return {
    experiments: [...surface.matchAll(/(\d+) experiments?\b/g)].map((m) => Number(m[1])),
    kept: [...surface.matchAll(/(\d+) kept\b/g)].map((m) => Number(m[1])),
  };
}

/** "baseline 10 → best 6 (−40.00%)", with or without bold and the words. */
function headline(surface: string): { baseline: number; best: number; pct: number } {
  const plain = surface.replaceAll("**", "");
  const m = new RegExp(String.raw`(${N}) → (?:best )?(${N}) \((${N})%\)`).exec(plain);
  expect(m, `no baseline → best in:\n${surface.slice(0, 400)}`).not.toBeNull();
  return { baseline: num(m![1]!), best: num(m![2]!), pct: num(m![3]!) };
}

/** The counts line: "6 experiments after the baseline: 2 keep · 2 discard ...". */
function countsLine(surface: string): { total: number; parts: Record<string, number> } {
  const m = /(\d+) experiments? after the baseline: (.*)/.exec(surface);
  expect(m, "no counts line").not.toBeNull();
  const parts: Record<string, number> = {};
  for (const p of m![2]!.split(" · ")) {
    const [n, status] = p.split(" ");
    parts[status!] = Number(n);
  }
  return { total: Number(m![1]), parts };
}

/** Kept rows of a Markdown table: Δ and the interval of the change. */
function keptRows(surface: string): { iteration: number; delta: number; ci: [number, number] }[] {
  const re = new RegExp(
    String.raw`^\| (\d+) \| [^|]+ \| ${N} \| (${N}) \| [^|]*CI \[(${N}), (${N})\]`,
    "gm",
  );
  return [...surface.matchAll(re)].map((m) => ({
    iteration: Number(m[1]),
    delta: num(m[2]!),
    ci: [num(m[3]!), num(m[4]!)],
  }));
}

/** "−3.8 ± 1.8 (95%)": a verified change and its half-width. */
function verified(surface: string, lead: string): { change: number; half: number } {
  const m = new RegExp(`${lead}\\s*(${N}) ± (\\d+(?:\\.\\d+)?) \\(95%\\)`).exec(surface);
  expect(m, `no "${lead} x ± y (95%)" in:\n${surface.slice(0, 600)}`).not.toBeNull();
  return { change: num(m![1]!), half: Number(m![2]) };
}

function fences(surface: string): string[] {
  return surface.split("\n").filter((l) => /^ {0,3}(```|~~~)/.test(l));
}

describe("one night, every surface", () => {
  let statusOut = "";
  beforeAll(() => {
    // `autoexp status`, the real CLI, on a branch that holds this night's record.
    const dir = makeRepo({ "train.py": "x = 1\n" });
    git(dir, "checkout", "--quiet", "-b", "autoexp/night");
    const record = `.autoexp/night`;
    git(dir, "rm", "--quiet", "--cached", "train.py");
    mkdirSync(`${dir}/${record}`, { recursive: true });
    writeFileSync(`${dir}/${record}/log.jsonl`, text);
    git(dir, "add", "train.py", record);
    git(dir, "commit", "--quiet", "-m", "record");
    git(dir, "checkout", "--quiet", "main");
    const run = runCli(dir, ["status", "--tag", "night"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    statusOut = run.stdout;
  });

  const prSvg = renderPr(text, { tag: "night", repoUrl: REPO_URL, progressSvg: true });
  const prMermaid = renderPr(text, { tag: "night", repoUrl: REPO_URL });
  const answer = renderStatusAnswer(prMermaid);
  const shortAnswer = renderStatusAnswer(prMermaid, 12);
  const jobSummary = files.dashboard; // action-main's writeSummary shows dashboard.md as it is
  const runLines = log.results
    .filter((r) => r.iteration > 0)
    .map(
      (row: ResultEntry, i) =>
        formatEvent(
          { type: "experiment", row, index: i + 1, of: 6, best: 6, etaMs: null },
          "val_loss",
        )!,
    );

  it("states the same number of experiments and kept everywhere: six after the baseline, two kept", () => {
    const surfaces = {
      dashboard: files.dashboard,
      pr: prSvg.body,
      "pr title": prSvg.title,
      answer,
      status: statusOut,
      "progress.svg": files.progress,
    };
    for (const [name, surface] of Object.entries(surfaces)) {
      const c = counts(surface);
      for (const n of c.experiments) expect(n, `${name}: experiments`).toBe(6);
      for (const n of c.kept) expect(n, `${name}: kept`).toBe(2);
      expect(c.experiments.length + c.kept.length, `${name} states neither`).toBeGreaterThan(0);
    }
    for (const surface of [files.dashboard, prSvg.body, answer, statusOut]) {
      const line = countsLine(surface);
      expect(line.total).toBe(6);
      expect(Object.values(line.parts).reduce((a, b) => a + b, 0)).toBe(6);
      expect(line.parts).toEqual({ keep: 2, discard: 2, crash: 1, duplicate: 1 });
    }
    // results.tsv has one row per experiment and the baseline; the kept ones say keep.
    const rows = files.results.trim().split("\n").slice(1);
    expect(rows).toHaveLength(7);
    expect(rows.filter((r) => r.split("\t").at(-2) === "keep")).toHaveLength(2);
  });

  it("gives the same baseline, best and change in percent everywhere", () => {
    const all = [files.dashboard, prSvg.body, prSvg.title, answer, statusOut, files.progress];
    for (const surface of all)
      expect(headline(surface)).toEqual({ baseline: 10, best: 6, pct: -40 });
    // The Mermaid chart's best line ends at the best; its runs are the scored experiments.
    const chart = /line "best so far" \[([^\]]*)\]/.exec(files.dashboard)![1]!.split(", ");
    expect(Number(chart.at(-1))).toBe(6);
  });

  it("writes a kept row's Δ and its interval with one sign, the interval around the Δ", () => {
    // Nothing here was measured in pairs: no note on what a paired Δ is (paired-story.test.ts).
    for (const surface of [files.dashboard, prSvg.body]) expect(surface).not.toContain("in pairs");
    for (const surface of [files.dashboard, prSvg.body]) {
      const kept = keptRows(surface);
      expect(kept.map((k) => k.iteration)).toEqual([1, 5]);
      for (const k of kept) {
        expect(Math.sign(k.ci[0])).toBe(Math.sign(k.delta));
        expect(Math.sign(k.ci[1])).toBe(Math.sign(k.delta));
        expect(k.ci[0]).toBeLessThanOrEqual(k.delta);
        expect(k.ci[1]).toBeGreaterThanOrEqual(k.delta);
      }
    }
  });

  it("gives verify's change, split's and the run lines' deltas one sign and one figure", () => {
    const expected = { change: -3.8, half: 1.8 };
    expect(verified(files.dashboard, "verified:")).toEqual(expected);
    expect(verified(prSvg.body, "verified:")).toEqual(expected);
    expect(verified(answer, "verified:")).toEqual(expected);
    expect(verified(statusOut, "verified:")).toEqual(expected);
    expect(verified(formatVerifiedLine(verify), "verified:")).toEqual(expected);
    // split: the same final code over the same pairs says what verify says, with its sign
    const group = split.groups[0]!;
    const splitPr = renderSplitPr("night", split, group, log, REPO_URL).body;
    expect(verified(splitPr, "against the base: val_loss")).toEqual(expected);
    expect(
      verified(
        renderSplitLinks(split, []),
        `\\| ${group.files.map((f) => `\`${f}\``).join(", ")} \\|`,
      ),
    ).toEqual(expected);
    expect(verified(formatGainLine(group.gain, split.goal, split.confidence), "")).toEqual(
      expected,
    );
    // attribute: each change's share with the sign of a change that helps a minimised metric
    for (const m of files.dashboard.matchAll(
      new RegExp(`\\| (${N}) ± [\\d.]+ \\(95%\\) \\| 4 \\|`, "g"),
    ))
      expect(num(m[1]!)).toBeLessThan(0);
    // run lines (`autoexp run`): the kept experiments' Δ as the dashboard's
    const dashboardDelta = (n: number) =>
      num(
        new RegExp(`^\\| ${n} \\| \`\\w+\` \\| ${N} \\| (${N}) \\|`, "m").exec(
          files.dashboard,
        )![1]!,
      );
    for (const line of runLines.filter((l) => / keep /.test(l))) {
      const m = new RegExp(`#(\\d+) keep\\s+val_loss ${N} (${N})`).exec(line)!;
      expect(num(m[2]!)).toBe(dashboardDelta(Number(m[1])));
    }
  });

  it("draws one chart per surface, each one GitHub renders, and never cuts an answer inside a block", () => {
    const charts = (s: string) => ({
      mermaid: (s.match(/^```mermaid$/gm) ?? []).length,
      images: (s.match(/!\[[^\]]*\]\(/g) ?? []).length,
    });
    // The job summary (dashboard.md): the Mermaid chart, no relative image (it would be broken).
    expect(charts(jobSummary)).toEqual({ mermaid: 1, images: 0 });
    expect(jobSummary).not.toMatch(/\]\((?!https:\/\/)[^)]*\.svg\)/);
    // The PR: progress.svg by its absolute raw URL when the branch has it, else the Mermaid chart.
    expect(charts(prSvg.body)).toEqual({ mermaid: 0, images: 1 });
    expect(prSvg.body).toContain(
      `](${REPO_URL}/blob/autoexp/night/.autoexp/night/progress.svg?raw=true)`,
    );
    expect(charts(prMermaid.body)).toEqual({ mermaid: 1, images: 0 });
    // The /autoexp status answer: whole blocks only, every fence closed, at any length.
    for (const a of [answer, shortAnswer, renderStatusAnswer(prMermaid, 20)]) {
      expect(fences(a).length % 2).toBe(0);
      expect(a.split("\n").length).toBeLessThanOrEqual(42);
    }
    expect(charts(answer).mermaid).toBe(1);
    expect(answer).toContain('line "best so far"');
    expect(shortAnswer).toContain("_The rest is in the PR._");
  });
});
