// biome-ignore-all lint/suspicious/noControlCharactersInRegex: finding control characters is the point
import { describe, expect, it } from "vitest";
import {
  cutMarkdown,
  cutMarkdownBytes,
  cutMarkdownChars,
  markdownBlocks,
} from "../../action/ledger/cut-markdown.ts";
import {
  fencedBlock,
  inertCode,
  inertCommitMessage,
  inertMarkdown,
} from "../../action/util/markdown-inert.ts";
import { jsonLine, recordField } from "../../action/util/record-field.ts";
import { inertTerminal } from "../../action/util/terminal-inert.ts";

describe("terminal-inert", () => {
  it("removes OSC, CSI and two-character escapes in 7-bit and 8-bit form, keeps the text", () => {
    expect(inertTerminal("a\x1b]8;;https://x\x07link\x1b]8;;\x1b\\ b")).toBe("alink b");
    expect(inertTerminal("\x1b[2J\x1b[1;31mred\x1b[0m \x9b2Jx \x1bcy")).toBe("red x y");
    expect(inertTerminal("title \x1b]0;pwned")).toBe("title "); // never ended: to the end
    expect(inertTerminal("a\rb\bc\x07d\x85e\u202ef\u2028g\tt\n")).toBe("abcdef\ng\tt\n");
  });
});

describe("record-field", () => {
  it("leaves a TSV cell one line and a JSON line one line for str.splitlines()", () => {
    expect(recordField("a\tb\vc\fd\x1ce\x1df\x1eg\x85h\u2028i\u2029j\0k\r\nl")).toBe(
      "a b c d e f g h i j k l",
    );
    const line = jsonLine({ d: "x\u2028y\u2029z\x85w\v\x9b" });
    expect(line).toBe('{"d":"x\\u2028y\\u2029z\\u0085w\\u000b\\u009b"}');
    expect(JSON.parse(line).d).toBe("x\u2028y\u2029z\x85w\v\x9b");
  });
});

describe("markdown-inert", () => {
  it("shows the text and makes nothing of it", () => {
    expect(
      inertMarkdown("<b>hi</b> @octocat Fixes #1 [x](javascript:y) www.a.b https://c.d *e*"),
    ).toBe(
      "&lt;b&gt;hi&lt;/b&gt; @\u200doctocat Fixes #\u200d1 &#91;x&#93;(javascript:y) www\u200d.a.b https:\u200d//c.d \\*e\\*",
    );
    expect(inertMarkdown("a|b\nc")).toBe("a\\|b c");
    expect(inertCode("a`b|c")).toBe("`a'b¦c`");
    expect(fencedBlock("```\nx")).toBe("````\n```\nx\n````");
  });

  it("keeps autoexp's own #n in a commit message and breaks the agent's closing keyword", () => {
    expect(inertCommitMessage("autoexp(t) #3: fixes #1, closes o/r#2 @a <!-- x -->")).toBe(
      "autoexp(t) #3: fixes #\u200d1, closes o/r#\u200d2 @\u200da <\u200d!-- x -->",
    );
  });
});

describe("cutMarkdown", () => {
  const md =
    "para one\nline two\n\n```mermaid\nxychart-beta\n\n  line [1, 2]\n```\n\n| a |\n|---|\n| 1 |";

  it("reads a fenced block whole, blank lines inside included, and closes one left open", () => {
    expect(markdownBlocks(md).map((b) => b.length)).toEqual([2, 5, 3]);
    expect(markdownBlocks("x\n\n~~~\nopen").at(-1)).toEqual(["~~~", "open", "~~~"]);
  });

  it("cuts between blocks, never inside the chart, and says so", () => {
    expect(cutMarkdown(md, 100)).toBe(md);
    expect(cutMarkdown(md, 6)).toBe("para one\nline two\n\n_The rest is in the PR._");
    expect(cutMarkdownChars(md, 60, "(cut)")).toBe("para one\nline two\n\n(cut)");
    expect(cutMarkdownChars(md, md.length, "(cut)")).toBe(md);
    expect(cutMarkdownBytes(`é\n\n${md}`, 20, "(cut)")).toBe("é\n\n(cut)"); // é is 2 bytes
    expect(cutMarkdown(md, 10)).toBe(
      "para one\nline two\n\n```mermaid\nxychart-beta\n\n  line [1, 2]\n```\n\n_The rest is in the PR._",
    );
  });
});
