import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { parseMetrics } from "../../action/eval/parse-metrics.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { remoteAndClone, runAction } from "../helpers/action.ts";
import { branchLog, makeRepo, tempDir } from "../helpers/repo.ts";

const EXAMPLE = join(import.meta.dirname, "..", "..", "templates", "examples", "gpu-train");
const GPU_LOGS = join(import.meta.dirname, "..", "fixtures");

/** A Python that has PyTorch, as an absolute path (the eval's sandbox hides /tmp and HOME). */
function torchPython(): string | null {
  for (const candidate of [
    process.env.AUTOEXP_TEST_PYTHON,
    "/usr/bin/python3",
    "python3",
    "python",
  ]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ["-c", "import sys, torch; print(sys.executable)"], {
      encoding: "utf8",
    });
    if (probe.status === 0) return probe.stdout.trim();
  }
  return null;
}
const python = torchPython();
const TORCH = python
  ? "needs PyTorch"
  : "SKIPPED: no Python with PyTorch here (apt-get install python3-torch, or set AUTOEXP_TEST_PYTHON)";

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
      "peak_vram_mb:     {peak_vram_mb:.1f}",
      "training_seconds: {training_time:.1f}",
      'print(f"Vocab size: {VOCAB_SIZE:,}")',
    ])
      expect(source).toContain(line);
  });

  it("the eval only reads the data, from a folder the config declares read-only", () => {
    const parsed = parseConfigText(readFileSync(join(EXAMPLE, "autoexp.yml"), "utf8"));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.config.eval.command).not.toContain("prepare");
    expect(parsed.config.isolation.read_only).toContain("~/.cache/autoexp-gpu-train");
    expect(parsed.config.eval.pass_env).toEqual(
      expect.arrayContaining(["PYTHON", "AUTOEXP_TINY", "AUTOEXP_GPU_TRAIN_CACHE"]),
    );
    expect(readFileSync(join(EXAMPLE, "prepare.py"), "utf8")).toContain(
      '"~/.cache/autoexp-gpu-train"',
    );
  });
});

describe.skipIf(python === null)(`the GPU example on CPU in tiny mode (${TORCH})`, () => {
  let cache = "";
  const env = () => ({ AUTOEXP_TINY: "1", AUTOEXP_GPU_TRAIN_CACHE: cache, PYTHON: python! });

  beforeAll(() => {
    cache = mkdtempSync(join(tmpdir(), "autoexp-gpu-cache-"));
    const prepared = py(["prepare.py"], EXAMPLE);
    if (prepared.status !== 0) throw new Error(prepared.stderr);
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  function py(args: string[], cwd: string, extra: Record<string, string> = {}) {
    return spawnSync(python!, args, {
      cwd,
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", ...env(), ...extra },
    });
  }

  it("validation text is a held-out sample of the training language; another language fails the same check", () => {
    // The bug this guards against: validation drawn from _language(2) and training from _language(1).
    const script = `
import json, random
import prepare as p
train = p.decode(p.load_split("train", "cpu"))
val = p.decode(p.load_split("val", "cpu"))
other, _ = p.Language(p.LANGUAGE_SEED + 1).text(p.STREAM_SEEDS["val"], len(val))
function_words = set(p.Language.DETS[0] + p.Language.DETS[1] + p.Language.PREPS + ("that",))
def words(t): return t.replace(",", " ").replace(".", " ").split()
train_words = words(train)
vocab, pairs = set(train_words), set(zip(train_words, train_words[1:]))
def overlap(text):
    w = words(text)
    content = [x for x in w if x not in function_words]
    rng = random.Random(0)
    windows = [text[i : i + 64] for i in (rng.randrange(len(text) - 64) for _ in range(200))]
    return {
        "content_words": sum(x in vocab for x in content) / len(content),
        "word_pairs": sum(b in pairs for b in zip(w, w[1:])) / (len(w) - 1),
        "copied_windows": sum(x in train for x in windows) / len(windows),
    }
print(json.dumps({"val": overlap(val), "other": overlap(other), "val_chars": len(val)}))
`;
    const run = py(["-c", script], EXAMPLE);
    expect(run.status, run.stderr).toBe(0);
    const { val, other, val_chars } = JSON.parse(run.stdout) as Record<
      "val" | "other",
      Record<"content_words" | "word_pairs" | "copied_windows", number>
    > & { val_chars: number };
    expect(val_chars).toBeGreaterThan(16_000);
    // The same language: its words and word pairs were seen in training...
    expect(val.content_words).toBeGreaterThan(0.95);
    expect(val.word_pairs).toBeGreaterThan(0.4);
    // ...but not the same text: held-out documents, not a copy of training windows.
    expect(val.copied_windows).toBeLessThan(0.05);
    // The check has teeth: a text of another language (what the old prepare.py validated on) fails it.
    expect(other.content_words).toBeLessThan(0.2);
    expect(other.word_pairs).toBeLessThan(0.2);
  });

  it("tiny mode trains on CPU and ends well below uniform guessing (log2 of the vocabulary)", () => {
    const dir = copyExample();
    const run = py(["train.py"], dir);
    expect(run.status, run.stderr).toBe(0);
    const m = parseMetrics(run.stdout);
    const meta = JSON.parse(readFileSync(join(cache, "tiny", "meta.json"), "utf8")) as {
      vocab_size: number;
      unigram_bpb: number;
      entropy_bpb: number;
    };
    expect(run.stdout).toContain(`Vocab size: ${meta.vocab_size}\n`);
    const uniform = Math.log2(meta.vocab_size);
    const bpb = m.get("val_bpb")!;
    expect(bpb).toBeLessThan(0.8 * uniform); // 3.93 for 30 symbols; the old example scored 9.87
    expect(bpb).toBeLessThan(meta.unigram_bpb); // it learned more than letter frequencies
    expect(bpb).toBeGreaterThan(meta.entropy_bpb); // nothing beats the generator's entropy
    expect(m.get("training_seconds")).toBeGreaterThanOrEqual(5);
    expect(m.get("total_seconds")).toBeGreaterThan(m.get("training_seconds")!);
    expect(m.get("peak_vram_mb")).toBe(0);
    expect(m.get("tokens_per_sec")).toBeGreaterThan(0);
    expect(m.get("num_steps")).toBeGreaterThan(3);
  }, 120_000);

  it("train.py without prepared data stops with one line: run python prepare.py first", () => {
    const empty = tempDir("autoexp-gpu-empty-");
    const run = py(["train.py"], copyExample(), { AUTOEXP_GPU_TRAIN_CACHE: empty });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      `gpu-train: no data in ${join(empty, "tiny")}: run python prepare.py first`,
    );
  }, 60_000);

  it("runs under autoexp's loop: baseline, experiments, val_bpb and the VRAM guard read from each run", async () => {
    const dir = gpuRepo(cache);
    const parsed = parseConfigText(readFileSync(join(dir, "autoexp.yml"), "utf8"));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const result = await runBatch({
      repoDir: dir,
      config: parsed.config,
      tag: "tiny",
      experiments: 2,
      env: { ...process.env, ...env(), AUTOEXP_TIME_BUDGET: "2" },
    });
    const rows = branchLog(dir, "tiny").filter(
      (e) => e.type === "result",
    ) as unknown as ResultEntry[];
    expect(rows).toHaveLength(3);
    expect(rows[0]!.samples.val_bpb).toHaveLength(2);
    for (const r of rows.filter((r) => r.score !== null)) {
      expect(r.metrics.val_bpb).toBeGreaterThan(0);
      expect(r.metrics.val_bpb).toBeLessThan(Math.log2(30));
      expect(r.metrics.peak_vram_mb).toBe(0); // CPU: no VRAM, the guard holds
    }
    expect(result.experiments).toBe(2);
  }, 300_000);

  it("runs under the Action's entry point (dist/action.js) as a GPU runner would, on CPU", async () => {
    const { clone } = remoteAndClone(gpuRepo(cache));
    const run = await runAction(
      clone(),
      { mode: "run", tag: "gpu", experiments: "1" },
      { env: { ...env(), AUTOEXP_TIME_BUDGET: "2" } },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ tag: "gpu", experiments: "1" });
    expect(Number(run.outputs.baseline)).toBeGreaterThan(0);
    expect(Number(run.outputs.baseline)).toBeLessThan(Math.log2(30));
    expect(run.summary).toContain("val_bpb");
  }, 300_000);
});

function copyExample(): string {
  const dir = tempDir("autoexp-gpu-example-");
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes("__pycache__") });
  return dir;
}

/** The example as a repository, with fewer baseline runs, and the test's cache visible read-only. */
function gpuRepo(cache: string): string {
  const files: Record<string, string> = {};
  for (const name of readdirSync(EXAMPLE)) {
    if (name !== "__pycache__") files[name] = readFileSync(join(EXAMPLE, name), "utf8");
  }
  files["autoexp.yml"] = files["autoexp.yml"]!.replace(
    "baseline_runs: 3",
    "baseline_runs: 2\n  max_runs: 2",
  ).replace("read_only: [~/.cache/autoexp-gpu-train]", `read_only: [${cache}]`);
  return makeRepo(files);
}
