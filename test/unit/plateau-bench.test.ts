import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  findParameters,
  formatLike,
  type Move,
  planMove,
} from "../../action/agents/search-plan.ts";
import { createRandom } from "../../action/util/random.ts";
import { mix, noiseAt } from "../../bench/greedy-model.ts";
import {
  type Knobs,
  knobKey,
  type Landscape,
  OPTIMUM,
  readKnobs,
  START,
  startScript,
  trueGain,
} from "../../bench/plateau-model.ts";

const BENCH = resolve(import.meta.dirname, "../../bench");
const gain = (land: Landscape, change: Partial<Knobs>) => trueGain(land, { ...START, ...change });

/** The search agent's own move planner, noiseless: keeps a move when it truly gains. */
function climb(land: Landscape, script: string, seed: number): { script: string; gain: number } {
  let text = script;
  let best = trueGain(land, readKnobs(text));
  const history: (Move & { kept: boolean })[] = [];
  for (let n = 0; n < 1000; n++) {
    const params = findParameters([{ path: "train.py", text }], ["seed"]);
    const move = planMove(params, history, seed);
    if (!move) return { script: text, gain: best };
    const p = params.find((x) => x.id === move.id)!;
    const moved =
      text.slice(0, p.offset) + formatLike(p.raw, move.to) + text.slice(p.offset + p.raw.length);
    const g = trueGain(land, readKnobs(moved));
    const kept = g > best + 1e-9;
    history.push({ ...move, kept });
    if (kept) [text, best] = [moved, g];
  }
  throw new Error("the search did not converge in 1000 moves");
}

describe("bench/plateau.ts's landscape", () => {
  it("has help that comes only together: BATCH x2 or LR x1.41 alone loses, both gain", () => {
    expect(gain("plateau", { BATCH: 128 })).toBeCloseTo(-0.25, 9);
    expect(gain("plateau", { LR: 0.004 * Math.SQRT2 })).toBeLessThan(-1);
    expect(gain("plateau", { BATCH: 128, LR: 0.004 * Math.SQRT2 })).toBeCloseTo(1, 9);
  });

  it("has help that comes only after another change: DEPTH x2 loses until WARMUP is long", () => {
    expect(gain("plateau", { DEPTH: 16 })).toBeCloseTo(-3, 9);
    expect(gain("plateau", { WARMUP: 400 })).toBeCloseTo(-0.3, 9);
    expect(gain("plateau", { WARMUP: 400, DEPTH: 16 })).toBeCloseTo(1.7, 9);
  });

  it("reaches its stated optimum and nothing beyond it", () => {
    const best = { LR: 0.008, BATCH: 256, WARMUP: 200 * 2 ** 0.9, DEPTH: 8 * 2 ** 1.5 };
    const separable = { WEIGHT_DECAY: 0.2, GRAD_CLIP: 0.5 };
    expect(gain("plateau", { ...best, ...separable })).toBeCloseTo(OPTIMUM.plateau, 9);
    expect(
      gain("smooth", {
        LR: 0.008,
        BATCH: 128,
        WARMUP: 200 * Math.SQRT2,
        DEPTH: 8 * 2 ** 1.5,
        ...separable,
      }),
    ).toBeCloseTo(OPTIMUM.smooth, 9);
    const random = createRandom(7);
    const r = () => random() * 6 - 3;
    for (let i = 0; i < 5000; i++) {
      const k: Knobs = { ...START };
      for (const name of Object.keys(START) as (keyof Knobs)[]) k[name] = START[name] * 2 ** r();
      expect(trueGain("plateau", k)).toBeLessThanOrEqual(OPTIMUM.plateau + 1e-9);
      expect(trueGain("smooth", k)).toBeLessThanOrEqual(OPTIMUM.smooth + 1e-9);
    }
  });

  it("stalls the search agent's one-knob climb below the optimum on plateau, not on smooth", () => {
    for (const seed of [1, 2, 3]) {
      const stuck = climb("plateau", startScript(), seed);
      expect(stuck.gain).toBeCloseTo(2.5, 6);
      expect(stuck.gain).toBeLessThan(OPTIMUM.plateau / 2);
      expect(climb("smooth", startScript(), seed).gain).toBeGreaterThan(OPTIMUM.smooth - 0.01);
      // From the stall's near-miss (WARMUP x2, a small loss), the same climb goes past the stall.
      const nearMiss = stuck.script.replace(/^WARMUP = 200$/m, "WARMUP = 400");
      expect(trueGain("plateau", readKnobs(nearMiss))).toBeCloseTo(2.2, 6);
      expect(climb("plateau", nearMiss, seed).gain).toBeGreaterThan(stuck.gain + 2);
    }
  });
});

describe("bench/plateau.ts's eval", () => {
  const dir = mkdtempSync(join(tmpdir(), "plateau-eval-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ["plateau-model.ts", "greedy-model.ts"])
    copyFileSync(join(BENCH, f), join(dir, f));
  copyFileSync(join(BENCH, "plateau-eval.ts"), join(dir, "eval.ts"));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  const run = (counter: string, knobs: Partial<Knobs>) => {
    const text = startScript()
      .split("\n")
      .map((l) => {
        const name = /^(\w+) = /.exec(l)?.[1] as keyof Knobs | undefined;
        return name && knobs[name] !== undefined ? `${name} = ${knobs[name]}` : l;
      })
      .join("\n");
    writeFileSync(join(dir, "train.py"), text);
    const out = spawnSync(process.execPath, ["eval.ts"], {
      cwd: dir,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        PLATEAU_COUNTER: join(dir, counter),
        PLATEAU_RUNS: "3",
        PLATEAU_SEED: "5",
        PLATEAU_SIGMA: "0.5",
        PLATEAU_F: "plateau",
      },
    });
    const m = /^val_bpb: (\S+)$/m.exec(out.stdout);
    return { status: out.status, value: m ? Number(m[1]) : null };
  };

  it("prints the true gain plus the code's own k-th noise, whatever the order of runs", () => {
    const a = { WEIGHT_DECAY: 0.2 };
    const b = { BATCH: 128 };
    const ab = [run("ab", a), run("ab", b), run("ab", a)];
    const ba = [run("ba", b), run("ba", a), run("ba", a)];
    expect(ab[0]).toEqual(ba[1]);
    expect(ab[2]).toEqual(ba[2]);
    expect(ab[1]).toEqual(ba[0]);
    expect(ab[0]!.value).not.toBe(ab[2]!.value);
    let h = 0;
    for (const c of knobKey({ ...START, ...a })) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
    const expected = 0.9979 - (1.5 + 0.5 * noiseAt(mix(5, h), 1, "gaussian")) / 1000;
    expect(ab[2]!.value).toBeCloseTo(expected, 11);
  });

  it("refuses a run past the night's budget", () => {
    for (let i = 0; i < 3; i++) expect(run("spent", {}).status).toBe(0);
    expect(run("spent", {})).toEqual({ status: 3, value: null });
  });
});
