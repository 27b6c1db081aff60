// biome-ignore-all lint/suspicious/noControlCharactersInRegex: finding control characters is the point
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { marked } from "marked";
import { describe, expect, it } from "vitest";
import { Git } from "../../action/git/git.ts";
import { formatLines, parseLog } from "../../action/ledger/log-jsonl.ts";
import { renderRecordFiles } from "../../action/ledger/record-files.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { formatEvent } from "../../action/report/format-event.ts";
import { spliceLive } from "../../app/live-line.ts";
import { renderPr, renderStatusAnswer } from "../../app/pr-body.ts";
import { renderSplitLinks, renderSplitPr } from "../../app/split-prs.ts";
import { oneNight } from "../helpers/one-night.ts";
import { git, makeRepo, runCli, tempDir } from "../helpers/repo.ts";

// What an attacker's agent or eval writes (issue 24), all at once: HTML with a handler, a
// mention, a closing keyword, links in every form, autoexp's own marker, terminal escapes (OSC 8
// hyperlink, OSC 0 title, CSI clear screen, an 8-bit CSI) and every character a line reader
// splits on.
const HOSTILE = [
  "<img src=x onerror=alert(1)>",
  "@octocat",
  "Fixes #1",
  "[click](javascript:alert(1))",
  "<javascript:alert(1)>",
  "https://evil.example/x",
  "www.evil.example",
  "<!-- autoexp:live at=2099-01-01T00:00:00Z -->",
  "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
  "\x1b[2J\x1b[31mred",
  "\x9b2J",
  "\x1b]0;pwned\x07",
  "a\vb\fc\x1cd\x1de\x1ef\x85g\u2028h\u2029i\0j\rk",
].join(" ");

const REPO_URL = "https://github.com/octo-org/octo-repo";
const RUN_URL = `${REPO_URL}/actions/runs/77`;
const night = oneNight({
  describe: (i) => `#${i} ${HOSTILE}`,
  logTail: HOSTILE,
  verifyProblem: HOSTILE,
  stopReason: `the agent cannot work: ${HOSTILE}`,
});
const text = formatLines(night);
const log = parseLog(text);
const files = renderRecordFiles(log, "night");
/** Tags autoexp writes itself: the chart's caption, `refs/autoexp/<tag>/<n>` in a code span. */
const OWN_TAGS = new Set(["<sub>", "</sub>", "<n>"]);
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/;

/** What GitHub would make live in `markdown`, rendered as GitHub-flavoured Markdown. */
function liveParts(markdown: string) {
  const html = marked.parse(markdown, { gfm: true, async: false }) as string;
  const textOnly = html
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
  return {
    html,
    // Tags other than those Markdown itself makes (an agent's <img>, <script>, comments).
    rawTags: [...markdown.matchAll(/<(?!!-- autoexp:(?:pr|split|request) )[!/]?[a-z][^>]*>?/gi)]
      .map((m) => m[0])
      .filter((tag) => !OWN_TAGS.has(tag)),
    images: [...html.matchAll(/<img\b[^>]*src="([^"]*)"/g)].map((m) => m[1]!),
    links: [...html.matchAll(/<a\b[^>]*href="([^"]*)"/g)].map((m) => m[1]!),
    mentions: [...textOnly.matchAll(/(?:^|[^\w`])@([a-z0-9][a-z0-9-]*)/gi)].map((m) => m[1]!),
    closing: [...textOnly.matchAll(/\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+#\d/gi)],
    // The agent's own "#1 <img ...": a reference GitHub would link, unless broken
    references: [...textOnly.matchAll(/#\d+ <img/g)],
    markers: (markdown.match(/<!--/g) ?? []).length,
  };
}

describe("agent and eval text is inert wherever it lands", () => {
  const pr = renderPr(text, {
    tag: "night",
    repoUrl: REPO_URL,
    runs: [{ url: RUN_URL, title: HOSTILE }],
  });
  const prSvg = renderPr(text, { tag: "night", repoUrl: REPO_URL, progressSvg: true });
  const split = log.splits!.at(-1)!;
  const markdown: Record<string, [string, number, boolean?]> = {
    // [the surface, how many markers autoexp itself puts there, false: holds no agent text]
    "dashboard.md (and the job summary)": [files.dashboard, 0],
    "the PR body": [pr.body, 1],
    "the PR body with progress.svg": [prSvg.body, 1],
    "the /autoexp status answer": [renderStatusAnswer(pr, 200), 0],
    "a split change set's PR": [
      renderSplitPr("night", split, split.groups[0]!, log, REPO_URL).body,
      1,
    ],
    "the split section": [renderSplitLinks(split, []), 0, false],
  };

  it.each(Object.entries(markdown))(
    "%s: no HTML, mention, closing keyword, link or marker of the agent's",
    (_name, [md, own, shown]) => {
      if (shown !== false) expect(md).toContain("onerror"); // the text is shown...
      const live = liveParts(md);
      expect(live.rawTags).toEqual([]); // ...but no tag of it is
      expect(live.images.every((src) => src.startsWith(`${REPO_URL}/`))).toBe(true);
      expect(live.links.filter((href) => !href.startsWith(`${REPO_URL}/`))).toEqual([]);
      expect(live.mentions).toEqual([]);
      expect(live.closing).toEqual([]);
      expect(live.references).toEqual([]);
      expect(live.markers).toBe(own);
      expect(md).not.toMatch(CONTROL);
    },
  );

  it("a fake live marker in a description is not taken for the live block", () => {
    const status = {
      state: "pending",
      description: HOSTILE,
      runUrl: RUN_URL,
      at: "2026-11-23T05:00:00Z",
    };
    const next = spliceLive(pr.body, status)!;
    expect(next.match(/<!-- autoexp:live/g)).toHaveLength(1);
    expect(
      spliceLive(next, { ...status, at: "2026-11-23T06:00:00Z" })!.match(/<!-- autoexp:live/g),
    ).toHaveLength(1);
  });

  it("results.tsv and log.jsonl keep one record per line for str.splitlines() readers, the text intact in JSON", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "results.tsv"), files.results);
    writeFileSync(join(dir, "log.jsonl"), text);
    const count = (file: string) =>
      Number(
        execFileSync("/usr/bin/python3", [
          "-c",
          "import sys; t = open(sys.argv[1], encoding='utf-8', newline='').read(); print(len(t.splitlines()))",
          join(dir, file),
        ]).toString(),
      );
    expect(count("results.tsv")).toBe(1 + 7); // the header, the baseline and six experiments
    expect(count("log.jsonl")).toBe(night.length);
    for (const row of files.results.split("\n").slice(2, -1))
      expect(row.split("\t")).toHaveLength(4);
    const read = parseLog(text).results.find((r) => r.iteration === 1)!;
    expect(read.description).toBe(`#1 ${HOSTILE}`);
  });

  it("terminal output (autoexp status, run, check) carries no escape sequence or control character", () => {
    const repo = makeRepo({ "train.py": "x = 1\n" });
    git(repo, "checkout", "--quiet", "-b", "autoexp/night");
    mkdirSync(join(repo, ".autoexp/night"), { recursive: true });
    writeFileSync(join(repo, ".autoexp/night/log.jsonl"), text);
    git(repo, "add", ".autoexp");
    git(repo, "commit", "--quiet", "-m", "record");
    git(repo, "checkout", "--quiet", "main");
    const status = runCli(repo, ["status", "--tag", "night"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("onerror");
    expect(status.stdout).not.toMatch(CONTROL);
    const json = runCli(repo, ["status", "--tag", "night", "--json"]);
    expect(json.stdout).not.toMatch(CONTROL);
    const summary = JSON.parse(json.stdout);
    expect(summary.rows[1].description).toBe(`#1 ${HOSTILE}`); // JSON keeps it, escaped
    expect(summary.figures).toMatchObject({ experiments: 6, kept: 2, best: 6, baseline: 10 });

    const lines = log.results.map((row: ResultEntry, i) =>
      formatEvent({ type: "experiment", row, index: i, of: 6, best: 6, etaMs: null }, "val_loss"),
    );
    lines.push(formatEvent({ type: "stop", reason: HOSTILE } as never, "val_loss"));
    for (const line of lines) expect(line).not.toMatch(CONTROL);

    const checked = makeRepo({
      "t.txt": "x\n",
      "eval.js": `process.stdout.write(${JSON.stringify(`${HOSTILE}\n`)}); process.exit(3);`,
      "autoexp.yml":
        "name: chk\ntarget: [t.txt]\nfrozen: [eval.js]\neval:\n  command: node eval.js\n  metrics:\n    loss: { goal: minimize }\n",
    });
    const check = runCli(checked, ["check", "--runs", "2"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("onerror"); // the eval's output is shown...
    expect(check.stdout).not.toMatch(CONTROL); // ...as text
  });

  it("commit messages keep the description but no mention, closing keyword, link or marker", async () => {
    const repo = makeRepo({ "a.txt": "a\n" });
    const base = git(repo, "rev-parse", "HEAD").trim();
    const commit = await new Git(repo).commitFiles(
      base,
      { "a.txt": { content: "b\n" } },
      join(tempDir(), "index"),
      `autoexp(night) #3: ${HOSTILE}`,
    );
    const message = git(repo, "log", "-1", "--format=%B", commit);
    expect(message).toMatch(/^autoexp\(night\) #3: <img/); // autoexp's own #3 stays
    expect(message).not.toMatch(/@octocat/);
    expect(message).not.toMatch(/fixes #1/i);
    expect(message).not.toMatch(/https?:\/\/|www\.evil/);
    expect(message).not.toContain("<!--");
    expect(message.trimEnd()).not.toMatch(CONTROL);
  });
});
