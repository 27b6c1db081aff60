// bench/svg-labels: do progress.svg's labels stay on the page and apart, as a browser draws them?
// Renders progress.svg for nights that crowd the labels (karpathy's 125 experiments, keeps at the
// right edge for either goal, a baseline on the bottom edge, 400 experiments with 80 keeps), lays
// them out in headless Chromium and measures every label's box there (getBBox through its own
// transform: the rotated rectangle the glyphs fill). Prints, per chart, the labels whose box
// leaves the SVG's 1200 x 660 page, the pairs of labels whose boxes overlap, and labels cut short.
//   node bench/svg-labels.ts [--chromium /usr/bin/chromium]
// Run it in a worktree of an older commit (copy this file there) for the before figures.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { renderProgressSvg } from "../action/ledger/progress-svg.ts";
import { parseResultsTsv } from "../action/ledger/results-tsv.ts";
import { viewFromTsv } from "../action/ledger/summarize.ts";
import type { Goal } from "../action/ledger/types.ts";
import { chromiumPath } from "./chromium-path.ts";

const { values: args } = parseArgs({ options: { chromium: { type: "string" } } });
const CHROMIUM = chromiumPath(args.chromium);
const ROOT = join(import.meta.dirname, "..");

function tsv(rows: [number, string, string][], goal: Goal, title: string) {
  const lines = rows.map(([s, st, d], i) => `c${i}\t${s.toFixed(9)}\t1.0\t${st}\t${d}`);
  const text = ["commit\tval_bpb\tmemory_gb\tstatus\tdescription", ...lines].join("\n");
  return { title, svg: renderProgressSvg(viewFromTsv(parseResultsTsv(text), goal, title)) };
}

/** n experiments drifting the better way, kept where `keep(i)`, each named like an agent would. */
function night(n: number, goal: Goal, keep: (i: number) => boolean, title: string) {
  const sign = goal === "minimize" ? -1 : 1;
  const rows: [number, string, string][] = [[1, "keep", "baseline"]];
  for (let i = 1; i <= n; i++)
    rows.push([
      1 + sign * i * 0.001 + (keep(i) ? 0 : -sign * 0.0007),
      keep(i) ? "keep" : "discard",
      `LEARNING_RATE 0.04 -> 0.08 idea ${i} (train.py:12)`,
    ]);
  return tsv(rows, goal, title);
}

const karpathy = readFileSync(
  join(ROOT, "test", "fixtures", "karpathy-autoresearch-H100-mar8-results.tsv"),
  "utf8",
);
const charts = [
  {
    title: "karpathy (125 experiments)",
    svg: renderProgressSvg(viewFromTsv(parseResultsTsv(karpathy), "minimize", "karpathy")),
  },
  night(20, "minimize", (i) => i % 5 === 0 || i >= 18, "keeps at the right edge, lower better"),
  night(20, "maximize", (i) => i % 5 === 0 || i >= 18, "keeps at the right edge, higher better"),
  night(12, "minimize", (i) => i > 8, "the last four kept in a row"),
  night(400, "minimize", (i) => i % 5 === 0, "400 experiments, 80 kept"),
];

// The page measures each chart's labels in the browser and writes its findings into #out.
const script = `
const out = [];
for (const svg of document.querySelectorAll("svg")) {
  const texts = [...svg.querySelectorAll("g.labels text")];
  const quads = texts.map((t) => {
    const b = t.getBBox(), m = t.getCTM(), s = svg.getCTM().inverse();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => new DOMPoint(x, y).matrixTransform(m).matrixTransform(s));
  });
  const off = quads.filter((q) => q.some((p) => p.x < 0 || p.y < 0 || p.x > 1200 || p.y > 660));
  const axes = (q) => [0, 1].map((i) => [q[i + 1].x - q[i].x, q[i + 1].y - q[i].y]);
  const apart = (a, b) => [...axes(a), ...axes(b)].some(([ax, ay]) => {
    const pa = a.map((p) => p.x * ax + p.y * ay), pb = b.map((p) => p.x * ax + p.y * ay);
    return Math.max(...pa) <= Math.min(...pb) + 0.5 || Math.max(...pb) <= Math.min(...pa) + 0.5;
  });
  let overlaps = 0;
  for (let i = 0; i < quads.length; i++)
    for (let j = i + 1; j < quads.length; j++) if (!apart(quads[i], quads[j])) overlaps++;
  const cut = texts.filter((t) => t.textContent.endsWith("\\u2026")).length;
  out.push({ labels: texts.length, off: off.length, overlaps, cut,
    offText: texts.filter((_, i) => off.includes(quads[i])).map((t) => t.textContent) });
}
document.getElementById("out").textContent = JSON.stringify(out);
`;
const dir = mkdtempSync(join(tmpdir(), "autoexp-bench-labels-"));
try {
  const page = join(dir, "page.html");
  writeFileSync(
    page,
    `<!doctype html><html><body>${charts.map((c) => `<div>${c.svg}</div>`).join("\n")}<pre id="out"></pre><script>${script}</script></body></html>`,
  );
  const dom = execFileSync(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      `--user-data-dir=${join(dir, "profile")}`,
      "--dump-dom",
      pathToFileURL(page).href,
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 120_000 },
  );
  const json = /<pre id="out">([^<]*)<\/pre>/.exec(dom)?.[1];
  if (!json) throw new Error("the page wrote nothing: did Chromium run its script?");
  const found = JSON.parse(json.replaceAll("&amp;", "&").replaceAll("&lt;", "<")) as {
    labels: number;
    off: number;
    overlaps: number;
    cut: number;
    offText: string[];
  }[];
  console.log(
    "chart                                       labels  off the page  overlapping pairs  cut short",
  );
  for (const [i, f] of found.entries())
    console.log(
      `${charts[i]!.title.padEnd(44)}${String(f.labels).padStart(6)}${String(f.off).padStart(14)}${String(f.overlaps).padStart(19)}${String(f.cut).padStart(11)}${f.offText.length ? `  (off: ${f.offText.join(" | ")})` : ""}`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
