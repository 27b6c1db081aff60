import { afterEach, describe, expect, it } from "vitest";
import { segment, segmentFiles } from "../../action/ledger/segments.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { payload, startApp } from "../helpers/probot.ts";
import { syntheticLedger } from "../helpers/synthetic-ledger.ts";

let fakes: FakeGitHub[] = [];
afterEach(() => {
  for (const f of fakes) expect(f.violations).toEqual([]);
  fakes = [];
});

/** The PR the App writes for a tag whose branch holds `files` under .autoexp/night/. */
async function prFor(files: Record<string, string>) {
  const fake = await startFakeGitHub();
  fakes.push(fake);
  fake.files.set(
    "autoexp/night",
    new Map(Object.entries(files).map(([p, text]) => [`.autoexp/night/${p}`, text])),
  );
  const probot = await startApp(fake);
  await probot.receive({
    id: "push-1",
    name: "push",
    payload: payload("push", fake, (p) => {
      p.ref = "refs/heads/autoexp/night";
    }),
  } as never);
  expect(fake.pulls).toHaveLength(1);
  return { pr: fake.pulls[0]!, fake };
}

describe("the App reads a long ledger laid out in sealed segments", () => {
  it("writes the same PR from log.jsonl plus log/*.jsonl as from the whole ledger in one file", async () => {
    const { header, results } = syntheticLedger(2_500);
    const text = `${[header, ...results].map((e) => JSON.stringify(e)).join("\n")}\n`;
    const segmented = segmentFiles(segment(text));
    // 2,502 lines (the config line, the baseline, 2,500 experiments): 2 sealed blocks and the tail.
    expect(Object.keys(segmented)).toHaveLength(3);
    const whole = await prFor({ "log.jsonl": text });
    const split = await prFor(segmented);
    expect(split.pr.title).toBe(whole.pr.title);
    expect(split.pr.body).toBe(whole.pr.body);
    expect(split.pr.body).toContain("2500 experiments after the baseline");
    const read = split.fake.requests
      .filter((r) => r.operationId === "repos/get-content")
      .map((r) => decodeURIComponent(r.path));
    for (const name of ["log/000001.jsonl", "log/000002.jsonl"]) {
      expect(read.some((p) => p.includes(`.autoexp/night/${name}`))).toBe(true);
    }
  });

  it("says rows are missing when a sealed segment cannot be read, and summarises the rest", async () => {
    const { header, results } = syntheticLedger(1_500);
    const text = `${[header, ...results].map((e) => JSON.stringify(e)).join("\n")}\n`;
    const { "log/000001.jsonl": _lost, ...rest } = segmentFiles(segment(text));
    const { pr } = await prFor(rest);
    expect(pr.body).toContain(
      "1000 line(s) of log.jsonl could not be read and are left out of this summary",
    );
  });
});
