import { CHART_COLORS as C } from "./chart-points.ts";

// Small SVG element builders for progress.svg. Coordinates are written with one decimal: plenty
// at this size, and the same bytes on every platform.

/** A number as an SVG coordinate. */
export function px(v: number): string {
  return v.toFixed(1);
}

/** A group with a class, so a reader (or a test) can find the runs, the labels, the axes. */
export function svgGroup(cls: string, children: readonly string[]): string {
  return children.length === 0 ? "" : `<g class="${cls}">\n${children.join("\n")}\n</g>`;
}

export function svgText(
  x: number,
  y: number,
  s: string,
  size: number,
  fill: string,
  extra = "",
): string {
  return `<text x="${px(x)}" y="${px(y)}" font-size="${size}" fill="${fill}"${extra ? ` ${extra}` : ""}>${escapeXml(s)}</text>`;
}

export function svgDot(cx: number, cy: number, r: number, fill: string, extra = ""): string {
  return `<circle cx="${px(cx)}" cy="${px(cy)}" r="${r}" fill="${fill}"${extra ? ` ${extra}` : ""}/>`;
}

export function svgLine(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  stroke: string,
  width: number,
  extra = "",
): string {
  return `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" stroke="${stroke}" stroke-width="${width}"${extra ? ` ${extra}` : ""}/>`;
}

/** The mark of a failed run: a red ×. */
export function svgCross(cx: number, cy: number, r = 4): string {
  return `<path d="M${px(cx - r)},${px(cy - r)}L${px(cx + r)},${px(cy + r)}M${px(cx - r)},${px(cy + r)}L${px(cx + r)},${px(cy - r)}" stroke="${C.failed}" stroke-width="2"/>`;
}

/** The mark of a run off the scale: a triangle pointing up (dir -1) or down (dir 1). */
export function svgTriangle(cx: number, cy: number, dir: -1 | 1): string {
  const [tip, base] = [cy + dir * 5, cy - dir * 5];
  return `<path d="M${px(cx)},${px(tip)}L${px(cx - 5)},${px(base)}L${px(cx + 5)},${px(base)}Z" fill="${C.muted}"/>`;
}

/** At most `max` characters (code points), whitespace folded, an ellipsis where cut. */
export function truncate(s: string, max: number): string {
  const chars = Array.from(dropNonXml(s).replace(/\s+/g, " ").trim());
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max - 1).join("")}…`;
}

/** XML 1.0's Char production: most control characters and lone surrogates cannot appear at all. */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    cp >= 0x10000
  );
}

function dropNonXml(s: string): string {
  return Array.from(s)
    .filter((c) => isXmlChar(c.codePointAt(0)!))
    .join("");
}

/** Text safe inside an element or a double-quoted attribute; characters XML forbids are dropped. */
export function escapeXml(s: string): string {
  return dropNonXml(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}
