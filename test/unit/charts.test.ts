import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { robustRange } from "../../action/ledger/chart-points.ts";
import { chooseLabelled, fitLabel, MAX_LABELS } from "../../action/ledger/kept-labels.ts";
import { formatLines, parseLog } from "../../action/ledger/log-jsonl.ts";
import { niceTicks } from "../../action/ledger/nice-ticks.ts";
import { renderProgressSvg } from "../../action/ledger/progress-svg.ts";
import { renderChart } from "../../action/ledger/render-chart.ts";
import { parseResultsTsv } from "../../action/ledger/results-tsv.ts";
import { type LedgerView, viewFromLog, viewFromTsv } from "../../action/ledger/summarize.ts";
import type { Goal } from "../../action/ledger/types.ts";
import { syntheticLedger } from "../helpers/synthetic-ledger.ts";

const karpathyTsv = readFileSync(
  join(import.meta.dirname, "../fixtures/karpathy-autoresearch-H100-mar8-results.tsv"),
  "utf8",
);
const karpathy = () => viewFromTsv(parseResultsTsv(karpathyTsv), "minimize", "karpathy");

/** A results.tsv view from [score, status, description] rows (crash rows score 0, as karpathy's). */
function tsvView(rows: [number, string, string][], goal: Goal = "minimize"): LedgerView {
  const lines = rows.map(
    ([score, status, description], i) =>
      `c${i}\t${score.toFixed(9)}\t1.0\t${status}\t${description}`,
  );
  const text = ["commit\tval_bpb\tmemory_gb\tstatus\tdescription", ...lines].join("\n");
  return viewFromTsv(parseResultsTsv(text), goal, "t");
}

/** n experiments after a baseline, drifting down, every fifth kept. */
function nightView(n: number, goal: Goal = "minimize"): LedgerView {
  const sign = goal === "minimize" ? -1 : 1;
  const rows: [number, string, string][] = [[1, "keep", "baseline"]];
  for (let i = 1; i <= n; i++)
    rows.push([
      1 + sign * i * 0.001 + (i % 3) * 0.0004,
      i % 5 === 0 ? "keep" : "discard",
      `idea ${i}`,
    ]);
  return tsvView(rows, goal);
}

function mermaidOf(view: LedgerView) {
  const md = renderChart(view);
  const init = JSON.parse(/%%\{init: (.*)\}%%/.exec(md)![1]!);
  const lines = [...md.matchAll(/line "([^"]*)" \[([^\]]*)\]/g)].map((m) => ({
    title: m[1]!,
    values: m[2]!.split(", ").map(Number),
  }));
  const yAxis = /y-axis "[^"]*" (\S+) --> (\S+)/.exec(md)!;
  const xAxis = /x-axis "experiment" (.*)/.exec(md)![1]!;
  const caption = md.slice(md.lastIndexOf("```") + 3).trim();
  return { md, init, lines, lo: Number(yAxis[1]), hi: Number(yAxis[2]), xAxis, caption };
}

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

/**
 * A strict reader for the XML this project writes: elements, attributes in quotes, the five
 * named entities and character references, comments. Throws on anything not well-formed
 * (an unescaped < or &, a tag closed out of order, a duplicate attribute, a forbidden character).
 */
function parseXml(xml: string): El {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed: ${why} at ${i}: ${JSON.stringify(xml.slice(i, i + 50))}`);
  };
  const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  const checkChars = (s: string) => {
    for (let k = 0; k < s.length; k++) {
      if (s[k] === "<") fail("< in text or attribute");
      if (s[k] === "&") {
        ENTITY.lastIndex = k;
        if (!ENTITY.test(s)) fail("bare &");
      }
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: exactly what XML 1.0 forbids
    if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(s)) fail("forbidden character");
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s))
      fail("lone surrogate");
  };
  const NAME = /[A-Za-z_:][\w:.-]*/y;
  const name = () => {
    NAME.lastIndex = i;
    const m = NAME.exec(xml) ?? fail("expected a name");
    i += m[0].length;
    return m[0];
  };
  const skipSpace = () => {
    while (/\s/.test(xml[i] ?? "")) i++;
  };
  const element = (): El => {
    if (xml[i] !== "<") fail("expected <");
    i++;
    const el: El = { name: name(), attrs: {}, children: [], text: "" };
    for (;;) {
      const before = i;
      skipSpace();
      if (xml.startsWith("/>", i)) {
        i += 2;
        return el;
      }
      if (xml[i] === ">") {
        i++;
        break;
      }
      if (i === before) fail("expected space before an attribute");
      const key = name();
      if (key in el.attrs) fail(`duplicate attribute ${key}`);
      if (xml[i] !== "=") fail("expected =");
      const quote = xml[++i] ?? "";
      if (quote !== '"' && quote !== "'") fail("attribute value without quotes");
      const end = xml.indexOf(quote, i + 1);
      if (end < 0) fail("unterminated attribute");
      const value = xml.slice(i + 1, end);
      checkChars(value);
      el.attrs[key] = value;
      i = end + 1;
    }
    for (;;) {
      const next = xml.indexOf("<", i);
      if (next < 0) fail(`<${el.name}> never closed`);
      const text = xml.slice(i, next);
      checkChars(text);
      el.text += text;
      i = next;
      if (xml.startsWith("<!--", i)) {
        const end = xml.indexOf("-->", i);
        if (end < 0) fail("unterminated comment");
        i = end + 3;
      } else if (xml.startsWith("</", i)) {
        i += 2;
        if (name() !== el.name) fail(`</…> does not close <${el.name}>`);
        skipSpace();
        if (xml[i++] !== ">") fail("expected >");
        return el;
      } else el.children.push(element());
    }
  };
  skipSpace();
  const root = element();
  skipSpace();
  if (i !== xml.length) fail("content after the root element");
  return root;
}

function all(el: El, name: string): El[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}
function group(svg: El, cls: string): El | undefined {
  return all(svg, "g").find((g) => g.attrs.class === cls);
}
const texts = (el: El | undefined) => (el ? all(el, "text").map((t) => t.text) : []);
const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

describe("the robust y-range", () => {
  it("leaves out one broken run three times the rest, and keeps baseline to best in view", () => {
    const view = karpathy();
    const scores = view.rows.flatMap((r) => (r.score === null ? [] : [r.score]));
    const { lo, hi } = robustRange(scores, [0.9979, 0.969686]);
    expect(Math.max(...scores)).toBeCloseTo(3.215849);
    expect(lo).toBeLessThan(0.969686);
    expect(hi).toBeGreaterThan(0.9979);
    expect(hi - lo).toBeLessThan(0.04); // the progress fills the height, not 3.2 - 0.97
  });

  it("keeps ordinary bad runs in view when nothing is far out", () => {
    const { lo, hi } = robustRange([1, 0.99, 1.01, 0.98, 1.02, 1.03], [1, 0.98]);
    expect(lo).toBeLessThan(0.98);
    expect(hi).toBeGreaterThan(1.03);
  });
});

describe("the Mermaid chart", () => {
  it("draws every run grey and the best so far green, with a legend and a caption naming the colours", () => {
    const { init, lines, caption } = mermaidOf(karpathy());
    const palette = init.themeVariables.xyChart.plotColorPalette.split(/,\s*/);
    expect(palette).toEqual(["#8c959f", "#1a7f37"]);
    expect(init.themeVariables.xyChart.backgroundColor).toBe("#ffffff");
    expect(init.xyChart.showLegend).toBe(true);
    expect(lines.map((l) => l.title)).toEqual(["every run", "best so far"]);
    expect(caption).toMatch(/^<sub>Grey: every scored run; green: the best kept so far\./);
  });

  it("clamps karpathy's broken run to the top edge and names it, so the progress is not flattened", () => {
    const { lines, lo, hi, caption } = mermaidOf(karpathy());
    const [runs, best] = [lines[0]!.values, lines[1]!.values];
    expect(hi).toBeLessThan(1.01);
    expect(lo).toBeLessThan(0.969686);
    expect(runs[88]).toBe(hi);
    expect(Math.max(...runs)).toBe(hi);
    expect(best[0]).toBe(0.9979);
    expect(best.at(-1)).toBe(0.969686);
    expect(caption).toContain("Off the scale, drawn at the top edge: #88 (3.21585).");
    expect(caption).toContain("bridges #15, without a score of its own");
  });

  it("names each experiment on the x-axis up to 12, and gives Mermaid a numeric axis beyond", () => {
    const small = mermaidOf(nightView(9));
    expect(small.xAxis).toBe(`[${Array.from({ length: 10 }, (_, i) => `"${i}"`).join(", ")}]`);
    expect(mermaidOf(karpathy()).xAxis).toBe("0 --> 125");
    expect(mermaidOf(nightView(12)).xAxis).toBe("0 --> 12");
  });

  it("resamples a 1000-experiment night to 200 points per line and says so", () => {
    const { lines, xAxis, caption, md } = mermaidOf(nightView(1000));
    expect(lines.map((l) => l.values.length)).toEqual([200, 200]);
    expect(xAxis).toBe("0 --> 1000");
    expect(caption).toContain("resampled to 200 points");
    expect(md.length).toBeLessThan(6000);
  });

  it("writes numbers Mermaid's grammar reads: no exponent notation, even for tiny scores", () => {
    const view = tsvView([
      [3e-7, "keep", "baseline"],
      [2.5e-7, "keep", "smaller"],
      [2.9e-7, "discard", "no"],
    ]);
    const { md, lines } = mermaidOf(view);
    expect(md).not.toMatch(/\de-?\d/);
    expect(lines[1]!.values.at(-1)).toBe(2.5e-7);
  });

  it("keeps a metric name with quotes from ending Mermaid's strings", () => {
    const view = { ...nightView(5), metric: 'val "bpb"' };
    const md = renderChart(view);
    expect(md).toContain(`title "val 'bpb' per experiment"`);
  });

  it("draws nothing when fewer than two runs have a score", () => {
    expect(renderChart(tsvView([[1, "keep", "baseline"]]))).toBe("");
  });
});

describe("progress.svg", () => {
  it("is a well-formed standalone SVG: one svg root in the SVG namespace, with a title", () => {
    for (const view of [karpathy(), nightView(20), nightView(400, "maximize")]) {
      const svg = parseXml(renderProgressSvg(view));
      expect(svg.name).toBe("svg");
      expect(svg.attrs.xmlns).toBe("http://www.w3.org/2000/svg");
      expect(svg.attrs.viewBox).toBe("0 0 1200 660");
      expect(all(svg, "title")).toHaveLength(1);
    }
    // The reader is strict where a browser's XML parser is.
    for (const bad of [
      "<svg><text>a & b</text></svg>",
      "<svg><text>a < b</text></svg>",
      '<svg><text x="1" x="2"/></svg>',
      "<svg><g></svg></g>",
      "<svg><text>\u0001</text></svg>",
    ])
      expect(() => parseXml(bad)).toThrow(/not well-formed/);
  });

  it("draws every run: kept green and labelled with its description, discarded grey, failures crossed", () => {
    const view = karpathy();
    const svg = parseXml(renderProgressSvg(view));
    expect(all(group(svg, "kept")!, "circle")).toHaveLength(23);
    expect(all(group(svg, "discarded")!, "circle")).toHaveLength(101); // + #88 off the scale
    expect(all(group(svg, "failed")!, "path")).toHaveLength(1);
    expect(all(group(svg, "running-best")!, "path")).toHaveLength(1);
    const labels = texts(group(svg, "labels")).map(unescapeXml);
    const kept = view.rows.filter((r) => r.status === "baseline" || r.status === "keep");
    expect(labels).toHaveLength(kept.length);
    for (const [i, r] of kept.entries()) {
      const label = labels[i]!;
      expect(Array.from(label).length).toBeLessThanOrEqual(42);
      expect(r.description.startsWith(label.replace(/…$/, ""))).toBe(true);
    }
    expect(svg.children.find((c) => c.name === "title")!.text).toBe(
      "karpathy: val_bpb baseline 0.9979 → best 0.969686 (−2.83%)",
    );
    // Later in the document is drawn on top: every run over the labels, whose white halos hid
    // the discarded runs under them.
    const order = svg.children
      .filter((c) => c.name === "g")
      .map((c) => c.attrs.class)
      .filter((c) => ["labels", "discarded", "failed", "kept", "running-best"].includes(c!));
    expect(order).toEqual(["running-best", "labels", "discarded", "failed", "kept"]);
  });

  it("keeps karpathy's broken run from squashing the range: a triangle on the top edge, named", () => {
    const svg = parseXml(renderProgressSvg(karpathy()));
    const yTicks = texts(group(svg, "y-axis")).map(Number);
    expect(Math.min(...yTicks)).toBeGreaterThan(0.96);
    expect(Math.max(...yTicks)).toBeLessThan(1.01);
    expect(texts(group(svg, "off-scale"))).toEqual(["#88: 3.21585"]);
    expect(texts(svg).at(-1)).toBe("Off the scale, drawn at the edge: #88 (3.21585).");
  });

  it("puts at most 12 labels on the x-axis however many experiments", () => {
    for (const n of [2, 11, 20, 125, 1000, 4321]) {
      const ticks = texts(group(parseXml(renderProgressSvg(nightView(n))), "x-axis")).map(Number);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(12);
      expect(ticks.every(Number.isInteger)).toBe(true);
    }
  });

  it("escapes hostile descriptions: <script>, &, quotes, control characters, lone surrogates", () => {
    const hostile = `<script>alert("x")</script> & 'q' \u0000\u0007 \uD800 ]]> <!--`;
    const view = tsvView([
      [1, "keep", "baseline"],
      [0.9, "keep", hostile],
      [0.95, "discard", hostile],
    ]);
    const text = renderProgressSvg({ ...view, title: hostile, metric: `m"<&>` });
    const svg = parseXml(text);
    expect(text).not.toContain("<script");
    expect(all(svg, "script")).toHaveLength(0);
    expect(text).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;q&apos;");
    // The characters XML cannot carry are gone before the label is shortened.
    expect(unescapeXml(texts(group(svg, "labels"))[1]!)).toMatch(
      /^<script>alert\("x"\)<\/script> & 'q' \]\]/,
    );
  });

  it("is deterministic: the same ledger gives the same bytes", () => {
    const { header, results } = syntheticLedger(60);
    const text = formatLines([header, ...results]);
    const a = renderProgressSvg(viewFromLog(parseLog(text), "night"));
    const b = renderProgressSvg(viewFromLog(parseLog(text), "night"));
    expect(a).toBe(b);
    expect(renderChart(viewFromLog(parseLog(text), "night"))).toBe(
      renderChart(viewFromLog(parseLog(text), "night")),
    );
    parseXml(a);
  });

  it("draws a keep recorded ahead of experiments begun before it at its own number, every run once, and the best line rising from the first experiment it went ahead of", () => {
    // Several workers: #5 was kept before #3 and #4 were decided, and #3 was then kept on top of it.
    const { header, results } = syntheticLedger(8);
    const order = [0, 1, 2, 5, 3, 4, 6, 7, 8];
    const score = (n: number) => 1 - 0.01 * order.indexOf(n);
    const rows = order.map((n) => ({
      ...results[n]!,
      status: n === 5 || n === 3 ? ("keep" as const) : n === 0 ? results[0]!.status : "discard",
      score: score(n),
    }));
    const view = viewFromLog(parseLog(formatLines([header, ...rows])), "night");
    // The Mermaid chart: each run's own score at its own number (nothing bridged, nothing
    // dropped), and the best once every experiment up to each number was decided: #5 was kept
    // (0.97) and then #3 (0.96) by the time #3 was decided, so the best is 0.96 from #3 on.
    const { lines, caption } = mermaidOf(view);
    const runs = lines.find((l) => /every run/.test(l.title))!.values;
    const best = lines.find((l) => /best/.test(l.title))!.values;
    expect(runs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => Number(score(n).toPrecision(6))));
    expect(best).toEqual([1, 1, 1, 0.96, 0.96, 0.96, 0.96, 0.96, 0.96]);
    expect(caption).toContain("so the best line rises from the first of them: #5 (from #3).");
    // progress.svg: every run at its own x, and the running best steps down at #3's.
    const svg = parseXml(renderProgressSvg(view));
    const xsOf = (name: string) => all(group(svg, name)!, "circle").map((c) => Number(c.attrs.cx));
    const kept = xsOf("kept");
    const discarded = xsOf("discarded");
    expect(kept).toHaveLength(3);
    expect(discarded).toHaveLength(6);
    expect(new Set([...kept, ...discarded]).size).toBe(9);
    const x = (n: number) => [...kept, ...discarded].sort((a, b) => a - b)[n]!;
    // Kept #3 and #5 each where their numbers are.
    expect(kept).toEqual([x(0), x(3), x(5)]);
    const path = all(group(svg, "running-best")!, "path")[0]!.attrs.d!;
    const xs = [...path.matchAll(/[MH]([\d.]+)/g)].map((m) => Number(m[1]));
    expect(xs[1]).toBe(x(3));
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThanOrEqual(xs[i - 1]!);
    expect(texts(svg).at(-1)).toContain("#5 (from #3)");
  });

  it("labels the keeps that moved the best most, each measured against the keep decided before it", () => {
    // 31 keeps, one more than get labels: #30 was kept before #29 was decided, by a big step
    // (0.1); #29 then moved it by 0.0005, the least of all. By number, #29 would seem to have
    // made #30's step and #30 the least.
    expect(MAX_LABELS).toBe(30);
    const score = (n: number) =>
      n === 0 ? 1 : n <= 28 ? 1 - 0.001 * n : n === 30 ? 0.872 : 0.8715;
    const kept = Array.from({ length: 31 }, (_, n) => ({
      iteration: n,
      score: score(n),
      kind: "kept" as const,
      best: score(n),
      place: n <= 28 ? n : n === 30 ? 29 : 30,
      status: "keep",
      description: `idea ${n}`,
    }));
    const labelled = chooseLabelled(kept).map((p) => p.iteration);
    expect(labelled).toHaveLength(30);
    expect(labelled).toContain(30);
    expect(labelled).not.toContain(29);
  });

  it("still writes a valid picture when fewer than two runs have a score", () => {
    const svg = parseXml(renderProgressSvg(tsvView([[1, "keep", "baseline"]])));
    expect(texts(svg)).toContain("Fewer than two scored runs: nothing to plot yet.");
  });

  it("slants labels downwards and marks low outliers at the bottom when higher is better", () => {
    const rows: [number, string, string][] = [[0.5, "keep", "baseline"]];
    for (let i = 1; i < 30; i++)
      rows.push([0.5 + i * 0.002, i % 4 ? "discard" : "keep", `idea ${i}`]);
    rows.push([-2, "discard", "broken"]);
    const view = tsvView(rows, "maximize");
    const svg = parseXml(renderProgressSvg(view));
    const labels = all(group(svg, "labels")!, "text");
    expect(labels[1]!.attrs.transform).toMatch(/^rotate\(30 /);
    // The baseline sits on the bottom edge: no room to slant down, so its label lies flat.
    expect(labels[0]!.attrs.transform).toBeUndefined();
    expect(labels[0]!.text).toBe("baseline");
    const triangle = all(group(svg, "off-scale")!, "path")[0]!;
    expect(Number(/M[\d.]+,([\d.]+)/.exec(triangle.attrs.d!)![1])).toBeGreaterThan(500);
    expect(renderChart(view)).toContain("Off the scale, drawn at the bottom edge: #30 (-2).");
  });

  it("lays the last keeps' labels flat under the running best, whole and on the page", () => {
    for (const goal of ["minimize", "maximize"] as const) {
      const sign = goal === "minimize" ? -1 : 1;
      const rows: [number, string, string][] = [[1, "keep", "baseline"]];
      for (let i = 1; i <= 20; i++)
        rows.push([
          1 + sign * i * 0.001,
          i % 5 === 0 || i >= 18 ? "keep" : "discard",
          `LEARNING_RATE 0.04 -> 0.08 idea ${i} (train.py:12)`,
        ]);
      const svg = parseXml(renderProgressSvg(tsvView(rows, goal)));
      const labels = all(group(svg, "labels")!, "text");
      const points = all(group(svg, "kept")!, "circle").map((c) => Number(c.attrs.cy));
      const last = labels.slice(-2);
      for (const [i, l] of last.entries()) {
        expect(l.attrs.transform).toBeUndefined();
        expect(l.attrs["text-anchor"]).toBe("end");
        // Its point is at the right edge: the text runs left from it, whole but for its location.
        expect(unescapeXml(l.text)).toBe(`LEARNING_RATE 0.04 -> 0.08 idea ${19 + i}`);
        const [x, y] = [Number(l.attrs.x), Number(l.attrs.y)];
        expect(x - Array.from(l.text).length * 7).toBeGreaterThan(84);
        expect(y).toBeLessThan(586);
        expect(y).toBeGreaterThan(74);
        // On the side where nothing is drawn: under the best when lower is better.
        const point = points.at(i - 2)!;
        expect(goal === "minimize" ? y > point : y < point).toBe(true);
      }
      // Two flat labels do not overlap.
      const [a, b] = last.map((l) => Number(l.attrs.y));
      expect(Math.abs(a! - b!)).toBeGreaterThanOrEqual(14);
    }
  });

  it("cuts a label's location before its words", () => {
    expect(fitLabel("MOMENTUM 0.5 -> 0.3536 (train.js:5)", 28)).toBe("MOMENTUM 0.5 -> 0.3536");
    expect(fitLabel("MOMENTUM 0.5 -> 0.3536 (train.js:5)", 40)).toBe(
      "MOMENTUM 0.5 -> 0.3536 (train.js:5)",
    );
    expect(fitLabel("MOMENTUM 0.5 -> 0.3536 (train.js:5)", 10)).toBe("MOMENTUM …");
    expect(fitLabel("a (b) c but long enough", 8)).toBe("a (b) c…");
  });

  it("picks round ticks of 1, 2 or 5 times a power of ten, never more than asked", () => {
    expect(niceTicks(0, 125, 12, 1)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(niceTicks(0, 3, 12, 1)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(0.968, 0.999, 8)).toEqual([0.97, 0.975, 0.98, 0.985, 0.99, 0.995]);
    expect(niceTicks(0.1, 0.3, 8)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
  });
});
