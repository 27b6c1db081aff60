// bench/screenshots: one night as a reviewer meets it on GitHub. Runs the offline demo (a real
// night: agent, evals, keeps and discards) and `autoexp verify` on it, then renders the three
// places the night is read from: the job summary (dashboard.md, as the Action writes it), the PR
// body and the answer to `/autoexp status`. Each is turned into HTML by a GitHub-flavoured Markdown
// renderer (marked, gfm) with Mermaid drawn by Mermaid's own bundle, as GitHub does, and
// screenshotted by a headless Chromium. Prints what the browser made of each page.
//   node bench/screenshots.ts [--out /tmp/autoexp-shots] [--demo DIR [--tag T]] [--chromium /usr/bin/chromium]
// --demo reads an existing `autoexp demo --dir DIR` (verified or not) instead of making one;
// --tag names the tag there to render (default demo), e.g. one run with `strategy: branch`.
// Offline, the PR's progress.svg (an absolute raw URL on github.com) is served from the file the
// record commit holds, written beside the page.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { marked } from "marked";
import { renderPr, renderStatusAnswer } from "../app/pr-body.ts";
import { chromiumPath } from "./chromium-path.ts";

const ROOT = join(import.meta.dirname, "..");
const REPO_URL = "https://github.com/octo-org/octo-repo";
const { values: args } = parseArgs({
  options: {
    out: { type: "string" },
    demo: { type: "string" },
    chromium: { type: "string" },
    tag: { type: "string", default: "demo" },
  },
});
const TAG = args.tag!;
const OUT = resolve(args.out ?? "/tmp/autoexp-shots");
const CHROMIUM = chromiumPath(args.chromium);
const MERMAID = join(ROOT, "node_modules", "mermaid", "dist", "mermaid.min.js");
mkdirSync(OUT, { recursive: true });

function cli(dir: string, argv: string[]): void {
  execFileSync(process.execPath, [join(ROOT, "action", "cli.ts"), ...argv], {
    cwd: dir,
    stdio: "ignore",
    timeout: 180_000,
  });
}

/** The demo night's record: a fresh `autoexp demo` of 12 experiments, verified. */
function night(existing?: string): { log: string; dashboard: string; svg: string } {
  const dir = existing ?? mkdtempSync(join(tmpdir(), "autoexp-bench-shots-"));
  try {
    if (!existing) {
      cli(ROOT, ["demo", "--dir", dir, "--experiments", "12"]);
      cli(dir, ["verify", "--tag", TAG, "--pairs", "4"]);
    }
    const show = (file: string) =>
      execFileSync("git", ["show", `autoexp/${TAG}:.autoexp/${TAG}/${file}`], {
        cwd: dir,
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
    return { log: show("log.jsonl"), dashboard: show("dashboard.md"), svg: show("progress.svg") };
  } finally {
    if (!existing) rmSync(dir, { recursive: true, force: true });
  }
}

/** GitHub's look, near enough to judge layout: its font, tables, code and quote styles. */
const CSS = `body{margin:0;background:#fff;color:#1f2328;font:16px/1.5 -apple-system,'Segoe UI','Noto Sans',Helvetica,Arial,sans-serif}
.frame{max-width:980px;margin:24px auto;border:1px solid #d1d9e0;border-radius:6px}
.head{background:#f6f8fa;border-bottom:1px solid #d1d9e0;padding:8px 16px;font-size:14px;color:#59636e}
.markdown-body{padding:16px 24px}
h1,h2{border-bottom:1px solid #d1d9e0;padding-bottom:.3em} h3{margin-top:24px}
table{border-collapse:collapse;display:block;overflow:auto;font-size:14px} th,td{border:1px solid #d1d9e0;padding:6px 13px} tr:nth-child(2n){background:#f6f8fa}
code{background:#eff1f3;border-radius:6px;padding:.2em .4em;font:85% ui-monospace,SFMono-Regular,Menlo,monospace}
blockquote{margin:0;padding:0 1em;color:#59636e;border-left:.25em solid #d1d9e0}
img{max-width:100%} a{color:#0969da;text-decoration:none} sub{color:#59636e}
pre.mermaid{background:none}`;

/** A page GitHub-flavoured Markdown makes of `markdown`, Mermaid blocks drawn. */
function page(title: string, markdown: string): string {
  const html = (marked.parse(markdown, { gfm: true, async: false }) as string).replace(
    /<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g,
    (_m, code: string) => `<pre class="mermaid">${code}</pre>`,
  );
  return `<!doctype html><html><head><meta charset="utf-8"><style>${CSS}</style>
<script src="${pathToFileURL(MERMAID).href}"></script></head><body>
<div class="frame"><div class="head">${title}</div><div class="markdown-body">${html}</div></div>
<script>mermaid.initialize({ startOnLoad: false });
mermaid.run({ querySelector: "pre.mermaid" }).then(
  () => document.body.setAttribute("data-mermaid", "drawn"),
  (e) => { document.body.setAttribute("data-mermaid", "error: " + e.message); });
</script></body></html>`;
}

/** Runs Chromium headless with a fresh profile, no network beyond file://; returns stdout. */
function chromium(argv: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), "autoexp-chromium-"));
  try {
    const r = spawnSync(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
        "--virtual-time-budget=8000",
        `--user-data-dir=${profile}`,
        ...argv,
      ],
      { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 },
    );
    if (r.error) throw new Error(`chromium: ${r.error.message}`, { cause: r.error });
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const record = night(args.demo);
writeFileSync(join(OUT, "progress.svg"), record.svg);
const blob = `${REPO_URL}/blob/autoexp/${TAG}/.autoexp/${TAG}`;
const pr = renderPr(record.log, {
  tag: TAG,
  repoUrl: REPO_URL,
  progressSvg: true,
  runs: [{ url: `${REPO_URL}/actions/runs/77`, title: "autoexp nightly (success)" }],
});
const answer = renderStatusAnswer(renderPr(record.log, { tag: TAG, repoUrl: REPO_URL }));
const surfaces: [string, string, string][] = [
  // The Action's job summary is dashboard.md as the branch holds it, under one line of cost.
  ["job-summary", "autoexp · Summary (job summary)", record.dashboard],
  [
    "pr-body",
    `Draft PR · ${pr.title}`,
    pr.body.replaceAll(`${blob}/progress.svg?raw=true`, "progress.svg"),
  ],
  ["status-answer", "Comment from autoexp[bot] answering /autoexp status", `@octocat: ${answer}`],
];
for (const [name, title, markdown] of surfaces) {
  const html = join(OUT, `${name}.html`);
  writeFileSync(join(OUT, `${name}.md`), markdown);
  writeFileSync(html, page(title, markdown));
  const png = join(OUT, `${name}.png`);
  chromium([`--screenshot=${png}`, "--window-size=1200,2400", pathToFileURL(html).href]);
  const dom = chromium(["--dump-dom", pathToFileURL(html).href]);
  const drawn = /data-mermaid="([^"]*)"/.exec(dom)?.[1] ?? "not run";
  const charts = (dom.match(/<svg[^>]*aria-roledescription="xychart/g) ?? []).length;
  const images = (dom.match(/<img\b/g) ?? []).length;
  console.log(
    `${name}: ${png} (${markdown.split("\n").length} lines of Markdown; Mermaid ${drawn}, ${charts} xychart(s) drawn, ${images} image(s))`,
  );
}
