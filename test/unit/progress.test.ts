import { describe, expect, it } from "vitest";
import type { BatchEvent } from "../../action/engine/events.ts";
import {
  createProgressPrinter,
  type ProgressMode,
  progressMode,
} from "../../action/report/progress-printer.ts";

/** What a printer wrote, as a terminal would receive it. */
function record(mode: ProgressMode, events: BatchEvent[], columns = 80): string {
  let out = "";
  const printer = createProgressPrinter(
    mode,
    { line: (t) => (out += `${t}\n`), write: (c) => (out += c), columns },
    "val_bpb",
  );
  for (const e of events) printer.event(e);
  printer.close();
  return out;
}

const tick = (elapsedMs: number, lastLine: string, run = 1): BatchEvent => ({
  type: "eval-progress",
  iteration: 7,
  run,
  elapsedMs,
  lastLine,
});
const START: BatchEvent = { type: "start", iteration: 7, index: 3, of: 20 };
const STOP: BatchEvent = { type: "stop", reason: "experiments budget reached (20)" };

describe("progress during an eval", () => {
  it("on a terminal: one line rewritten in place, cleared before the next printed line", () => {
    const out = record("live", [
      START,
      tick(1000, "step 00010 (1.0%)"),
      tick(72_000, "step 00950 (98.9%)"),
      STOP,
    ]);
    expect(out).toBe(
      "\r\x1b[2K  #7 (3/20) run 1 · 1s · step 00010 (1.0%)" +
        "\r\x1b[2K  #7 (3/20) run 1 · 1m 12s · step 00950 (98.9%)" +
        "\r\x1b[2K" +
        "stopped     experiments budget reached (20)\n",
    );
  });

  it("shows the last part of a progress bar redrawn with carriage returns, without colours", () => {
    const out = record("live", [
      tick(2000, "step 1 | loss 3.2\rstep 2 | \x1b[32mloss 3.1\x1b[0m   "),
    ]);
    expect(out).toBe("\r\x1b[2K  #7 run 1 · 2s · step 2 | loss 3.1\r\x1b[2K");
  });

  it("fits the terminal's width", () => {
    const out = record("live", [tick(1000, "x".repeat(500))], 40);
    const line = out.split("\r\x1b[2K")[1]!;
    expect(line).toHaveLength(39);
    expect(line.endsWith("…")).toBe(true);
  });

  it("calls the starting commit's runs the baseline", () => {
    const out = record("live", [
      { ...(tick(3000, "warming up") as object), iteration: 0 } as BatchEvent,
    ]);
    expect(out).toContain("  baseline run 1 · 3s · warming up");
  });

  it("in a CI log: a plain line every 30 s of an eval, none for short ones", () => {
    const events: BatchEvent[] = [START];
    for (let s = 1; s <= 95; s++) events.push(tick(s * 1000, `step ${s}`));
    events.push(tick(2000, "second run", 2), STOP);
    expect(record("plain", events)).toBe(
      [
        "  #7 (3/20) run 1 · 30s · step 30",
        "  #7 (3/20) run 1 · 1m 00s · step 60",
        "  #7 (3/20) run 1 · 1m 30s · step 90",
        "stopped     experiments budget reached (20)",
        "",
      ].join("\n"),
    );
  });

  it("nothing with --quiet; every event as one JSON line with --json", () => {
    const events = [START, tick(1000, "a"), STOP];
    expect(record("quiet", events)).toBe("");
    expect(
      record("json", events)
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual(events);
  });

  it("the mode follows the flags, then the terminal", () => {
    expect(progressMode({ quiet: false, json: false }, true)).toBe("live");
    expect(progressMode({ quiet: false, json: false }, false)).toBe("plain");
    expect(progressMode({ quiet: true, json: false }, true)).toBe("quiet");
    expect(progressMode({ quiet: true, json: true }, true)).toBe("json");
  });
});

describe("progress with several workers", () => {
  const on = (worker: number, iteration: number, elapsedMs: number, busy: number): BatchEvent => ({
    type: "eval-progress",
    iteration,
    run: 1,
    elapsedMs,
    lastLine: "step 5",
    worker,
    device: `NVIDIA H100 #${worker}`,
    busy,
  });

  it("on a terminal: every worker's eval and the busy share on one line", () => {
    const out = record("live", [on(0, 12, 63_000, 0.9), on(2, 14, 5_000, 0.93)], 200);
    expect(out.split("\r\x1b[2K").at(-2)).toBe(
      "  w0 #12 run 1 1m 03s │ w2 #14 run 1 5s │ busy 93%",
    );
  });

  it("in a CI log: which worker and device, and the busy share so far", () => {
    const out = record("plain", [on(1, 9, 31_000, 0.874)]);
    expect(out).toBe(
      "  worker 1 (NVIDIA H100 #1): #9 run 1 · 31s · step 5 · workers busy 87% so far\n",
    );
  });
});
