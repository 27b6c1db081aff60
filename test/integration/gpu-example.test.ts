import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, symlinkSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/load-config.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { parseMetrics } from "../../action/eval/parse-metrics.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { remoteAndClone, runAction } from "../helpers/action.ts";
import { branchLog, makeRepo, tempDir } from "../helpers/repo.ts";

const EXAMPLE = join(import.meta.dirname, "..", "..", "templates", "examples", "gpu-train");
const GPU_LOGS = join(import.meta.dirname, "..", "fixtures");

/** A Python that has PyTorch, if this machine has one (CI machines may not: then this is skipped). */
function torchPython(): string | null {
  for (const candidate of [
    process.env.AUTOEXP_TEST_PYTHON,
    "python3",
    "/usr/bin/python3",
    "python",
  ]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ["-c", "import torch"], { stdio: "ignore" });
    if (probe.status === 0) return candidate;
  }
  return null;
}
const python = torchPython();

describe("the GPU example's output is what autoexp reads from real H100 runs", () => {
  it("reads the summary block the same way as the real logs", () => {
    const ok = readFileSync(join(GPU_LOGS, "gpu-train-ok.log"), "utf8");
    const metrics = parseMetrics(ok);
    expect(metrics.get("val_bpb")).toBe(0.698337);
    expect(metrics.get("peak_vram_mb")).toBe(457.9);
    // train.py prints the same block: the same keys, the same layout.
    const source = readFileSync(join(EXAMPLE, "train.py"), "utf8");
    for (const line of [
      'print("\\n---")',
      "val_bpb:          {val_bpb:.6f}",
      "peak_vram_mb:     {peak:.1f}",
    ])
      expect(source).toContain(line);
  });
});

describe.skipIf(python === null)("the GPU example on CPU in tiny mode (needs PyTorch)", () => {
  it("runs under autoexp's loop: baseline, experiments, val_bpb and the VRAM guard read from each run", async () => {
    const dir = gpuRepo();
    const bin = tempDir();
    symlinkSync(realPython(), join(bin, "python"));
    const parsed = parseConfigText(readFileSync(join(dir, "autoexp.yml"), "utf8"));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const result = await runBatch({
      repoDir: dir,
      config: parsed.config,
      tag: "tiny",
      experiments: 2,
      env: { ...process.env, AUTOEXP_TINY: "1", PATH: `${bin}${delimiter}${process.env.PATH}` },
    });
    const rows = branchLog(dir, "tiny").filter(
      (e) => e.type === "result",
    ) as unknown as ResultEntry[];
    expect(rows).toHaveLength(3);
    expect(rows[0]!.samples.val_bpb).toHaveLength(2);
    for (const r of rows.filter((r) => r.score !== null)) {
      expect(r.metrics.val_bpb).toBeGreaterThan(0);
      expect(r.metrics.val_bpb).toBeLessThan(10);
      expect(r.metrics.peak_vram_mb).toBe(0); // CPU: no VRAM, the guard holds
    }
    expect(result.experiments).toBe(2);
  }, 180_000);

  it("runs under the Action's entry point (dist/action.js) as a GPU runner would, on CPU", async () => {
    const { clone } = remoteAndClone(gpuRepo());
    const bin = tempDir();
    symlinkSync(realPython(), join(bin, "python"));
    const run = await runAction(
      clone(),
      { mode: "run", tag: "gpu", experiments: "1" },
      { env: { AUTOEXP_TINY: "1", PATH: `${bin}${delimiter}${process.env.PATH}` } },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ tag: "gpu", experiments: "1" });
    expect(Number(run.outputs.baseline)).toBeGreaterThan(0);
    expect(run.summary).toContain("val_bpb");
  }, 180_000);
});

function gpuRepo(): string {
  const files: Record<string, string> = {};
  for (const name of readdirSync(EXAMPLE)) files[name] = readFileSync(join(EXAMPLE, name), "utf8");
  files["autoexp.yml"] = files["autoexp.yml"]!.replace(
    "baseline_runs: 3",
    "baseline_runs: 2\n  max_runs: 2",
  );
  return makeRepo(files);
}

function realPython(): string {
  return spawnSync(python!, ["-c", "import sys; print(sys.executable)"], {
    encoding: "utf8",
  }).stdout.trim();
}
