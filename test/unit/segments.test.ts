import { describe, expect, it } from "vitest";
import {
  appendSegments,
  continuesFrom,
  emptySegments,
  joinLedger,
  SEGMENT_LINES,
  segment,
  segmentFiles,
} from "../../action/ledger/segments.ts";
import { createRandom } from "../../action/util/random.ts";

const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `{"type":"result","iteration":${from + i}}\n`).join(
    "",
  );

describe("a ledger's layout in sealed segments", () => {
  it("keeps log.jsonl whole below SEGMENT_LINES lines, as every earlier record did", () => {
    const text = lines(0, SEGMENT_LINES - 1);
    expect(segmentFiles(segment(text))).toEqual({ "log.jsonl": text });
  });

  it("seals each full block, names them in order, and rebuilds the exact text", async () => {
    const text = lines(0, 2 * SEGMENT_LINES + 17);
    const files = segmentFiles(segment(text));
    expect(Object.keys(files).sort()).toEqual([
      "log.jsonl",
      "log/000001.jsonl",
      "log/000002.jsonl",
    ]);
    expect(files["log/000001.jsonl"]!.split("\n")).toHaveLength(SEGMENT_LINES + 1);
    expect(files["log.jsonl"]!.split("\n")[0]).toBe(
      '{"type":"continues","segments":["log/000001.jsonl","log/000002.jsonl"]}',
    );
    expect(files["log.jsonl"]!.split("\n")).toHaveLength(1 + 17 + 1);
    expect(await joinLedger(files["log.jsonl"]!, async (p) => files[p] ?? null)).toBe(text);
  });

  it("lays out the same files whether the text arrives whole or in any chunks", () => {
    const random = createRandom(7);
    const all = lines(0, 3 * SEGMENT_LINES + 5).split(/(?<=\n)/);
    for (let trial = 0; trial < 20; trial++) {
      const layout = emptySegments();
      let i = 0;
      while (i < all.length) {
        const n = 1 + Math.floor(random() * 1500);
        appendSegments(layout, all.slice(i, i + n).join(""));
        i += n;
      }
      expect(layout).toEqual(segment(all.join("")));
    }
  });

  it("at exactly a block's end, log.jsonl holds only the line naming the segments", () => {
    const files = segmentFiles(segment(lines(0, SEGMENT_LINES)));
    expect(files["log.jsonl"]).toBe('{"type":"continues","segments":["log/000001.jsonl"]}\n');
  });

  it("refuses a log.jsonl naming segments out of order or outside log/, and says a missing one", async () => {
    expect(() => continuesFrom('{"type":"continues","segments":["log/000002.jsonl"]}\n')).toThrow(
      /log\/000001.jsonl belongs/,
    );
    expect(() => continuesFrom('{"type":"continues","segments":["../../etc/passwd"]}\n')).toThrow(
      /belongs/,
    );
    const tail = '{"type":"continues","segments":["log/000001.jsonl"]}\n{"x":1}\n';
    expect(await joinLedger(tail, async () => null)).toBeNull();
  });
});
