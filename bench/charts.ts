// bench/charts: renders the dashboard's Mermaid chart and progress.svg for the offline demo's
// ledger and for karpathy/autoresearch's H100 results.tsv, then screenshots both in a real
// headless Chromium (Mermaid from the `mermaid` package's own bundle) and reads back what the
// browser made of them: the SVG parsed as XML, the Mermaid chart drawn, its x-axis labels counted.
//   node bench/charts.ts [--out /tmp/autoexp-charts] [--demo DIR] [--chromium /usr/bin/chromium]
//                        [--tsv FILE [--goal maximize]]
// --demo reads an existing `autoexp demo --dir DIR` instead of making one; --tsv adds any
// karpathy-style results.tsv.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parseLog } from "../action/ledger/log-jsonl.ts";
import { renderProgressSvg } from "../action/ledger/progress-svg.ts";
import { renderChart } from "../action/ledger/render-chart.ts";
import { parseResultsTsv } from "../action/ledger/results-tsv.ts";
import { type LedgerView, viewFromLog, viewFromTsv } from "../action/ledger/summarize.ts";
import type { Goal } from "../action/ledger/types.ts";

const ROOT = join(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    out: { type: "string" },
    demo: { type: "string" },
    chromium: { type: "string" },
    tsv: { type: "string" },
    goal: { type: "string", default: "minimize" },
  },
});
const OUT = resolve(args.out ?? join(tmpdir(), "autoexp-charts"));
const CHROMIUM = args.chromium ?? "/usr/bin/chromium";
const MERMAID = join(ROOT, "node_modules", "mermaid", "dist", "mermaid.min.js");
mkdirSync(OUT, { recursive: true });

/** Runs Chromium headless with a fresh profile and no network beyond file://; returns stdout. */
function chromium(args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), "autoexp-chromium-"));
  try {
    const r = spawnSync(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { encoding: "utf8", timeout: 90_000, maxBuffer: 64 << 20 },
    );
    if (r.error) throw new Error(`chromium: ${r.error.message}`, { cause: r.error });
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

function demoView(existing?: string): LedgerView {
  const dir = existing ?? mkdtempSync(join(tmpdir(), "autoexp-bench-charts-"));
  try {
    if (!existing)
      execFileSync(
        process.execPath,
        [join(ROOT, "action", "cli.ts"), "demo", "--dir", dir, "--experiments", "20"],
        { stdio: "ignore", timeout: 120_000 },
      );
    const log = execFileSync("git", ["show", "autoexp/demo:.autoexp/demo/log.jsonl"], {
      cwd: dir,
      encoding: "utf8",
    });
    return viewFromLog(parseLog(log), "demo");
  } finally {
    if (!existing) rmSync(dir, { recursive: true, force: true });
  }
}

function tsvView(path: string, goal: Goal, title: string): LedgerView {
  return viewFromTsv(parseResultsTsv(readFileSync(path, "utf8")), goal, title);
}

/** A page that renders the chart with Mermaid and shows the caption under it, as GitHub would. */
function mermaidPage(markdown: string): string {
  const fence = /```mermaid\n([\s\S]*?)\n```/.exec(markdown);
  if (!fence) throw new Error("no mermaid block");
  const caption = markdown.slice((fence.index ?? 0) + fence[0].length).trim();
  return `<!doctype html><html><head><meta charset="utf-8">
<style>body{margin:16px;background:#fff;font:14px -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#24292f;width:900px}</style>
<script src="${pathToFileURL(MERMAID).href}"></script></head><body>
<div id="chart">rendering...</div><p>${caption}</p>
<script>
mermaid.initialize({ startOnLoad: false });
mermaid.render("c", ${JSON.stringify(fence[1])})
  .then(({ svg }) => { document.getElementById("chart").innerHTML = svg; })
  .catch((e) => { document.getElementById("chart").textContent = "MERMAID ERROR: " + e.message; });
</script></body></html>`;
}

const report: string[] = [];
const inputs: [string, LedgerView][] = [
  ["demo", demoView(args.demo)],
  [
    "karpathy",
    tsvView(
      join(ROOT, "test", "fixtures", "karpathy-autoresearch-H100-mar8-results.tsv"),
      "minimize",
      "karpathy H100 mar8",
    ),
  ],
];
if (args.tsv)
  inputs.push([
    "tsv",
    tsvView(args.tsv, args.goal === "maximize" ? "maximize" : "minimize", "tsv"),
  ]);
for (const [name, view] of inputs) {
  const chart = renderChart(view);
  const svg = renderProgressSvg(view);
  writeFileSync(join(OUT, `${name}-chart.md`), chart);
  writeFileSync(join(OUT, `${name}-progress.svg`), svg);
  const page = join(OUT, `${name}-mermaid.html`);
  writeFileSync(page, mermaidPage(chart));

  const wait = ["--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw"];
  const dom = chromium([
    ...wait,
    "--allow-file-access-from-files",
    "--dump-dom",
    pathToFileURL(page).href,
  ]);
  const drawn = /<div id="chart"><svg[^>]*aria-roledescription="xychart"/.test(dom);
  const bottom = /<g class="bottom-axis">[\s\S]*?<g class="label">([\s\S]*?)<\/g>/.exec(dom)?.[1];
  const xLabels = bottom?.match(/<text /g)?.length ?? 0;
  chromium([
    ...wait,
    "--allow-file-access-from-files",
    "--window-size=940,560",
    `--screenshot=${join(OUT, `${name}-mermaid.png`)}`,
    pathToFileURL(page).href,
  ]);

  const svgFile = join(OUT, `${name}-progress.svg`);
  const svgDom = chromium(["--dump-dom", pathToFileURL(svgFile).href]);
  const wellFormed = !svgDom.includes("parsererror");
  chromium([
    "--window-size=1200,660",
    `--screenshot=${join(OUT, `${name}-progress.png`)}`,
    pathToFileURL(svgFile).href,
  ]);
  report.push(
    `${name}: ${view.rows.length} experiments · mermaid ${drawn ? "drawn" : "NOT DRAWN"}, ${xLabels ?? "?"} x-axis labels, ${chart.length} chars · progress.svg ${wellFormed ? "well-formed" : "NOT WELL-FORMED"}, ${svg.length} bytes`,
  );
  if (!drawn || !wellFormed) process.exitCode = 1;
}
console.log(report.join("\n"));
console.log(`PNGs, SVGs and pages in ${OUT}`);
