// verify, attribute and split on an eval judged deterministic: two pairs that agree show the
// effect exactly, so that is their default there; --pairs and verify.pairs still say otherwise.
import { describe, expect, it } from "vitest";
import type { SplitEntry, VerifyEntry } from "../../action/ledger/types.ts";
import { branchLog, exampleRepo, runCli } from "../helpers/repo.ts";

describe("measuring a tag whose eval is deterministic", () => {
  it("runs two pairs unless told otherwise", () => {
    const repo = exampleRepo();
    const night = runCli(repo, ["run", "--tag", "d", "--experiments", "4"]);
    expect(night.code, night.stderr).toBe(0);
    const log = branchLog(repo, "d");
    // Proof the eval was judged deterministic (its baseline's runs agreed), and something kept.
    expect(log[0]!.noise).toBe(0);
    expect(log.some((e) => e.type === "result" && e.status === "keep")).toBe(true);

    const verify = runCli(repo, ["verify", "--tag", "d"]);
    expect(verify.code, verify.stderr).toBe(0);
    const entry = branchLog(repo, "d").findLast(
      (e) => e.type === "verify",
    ) as unknown as VerifyEntry;
    expect(entry.gain.pairs).toBe(2);
    expect(entry.samples.base).toHaveLength(2);

    const plan = runCli(repo, ["attribute", "--tag", "d"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/ × 2 pairs × 2\)/);
    expect(runCli(repo, ["attribute", "--tag", "d", "--pairs", "3"]).stdout).toMatch(
      / × 3 pairs × 2\)/,
    );

    const split = runCli(repo, ["split", "--tag", "d"]);
    expect(split.code, split.stderr).toBe(0);
    const groups = (
      branchLog(repo, "d").findLast((e) => e.type === "split") as unknown as SplitEntry
    ).groups;
    for (const g of groups) expect(g.samples.base).toHaveLength(2);
  }, 180_000);
});
