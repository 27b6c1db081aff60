import { randomInt } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { readEnd, tailLines } from "../eval/read-tail.ts";
import { type EvalOutcome, runEval } from "../eval/run-eval.ts";
import { capLog } from "../files/cap-log.ts";
import type { Git } from "../git/git.ts";
import { runProcess } from "../process/run-process.ts";
import { isRecord } from "./agent-checkout.ts";
import { diffManifests, hashFrozen } from "./fingerprint.ts";
import type { StopGate } from "./interrupted.ts";
import type { Isolation } from "./isolation.ts";
import { TreeDir } from "./materialise.ts";

/** A run's outcome plus the frozen files it changed (code can rewrite the harness at run time). */
export type CheckedOutcome = EvalOutcome & { tampered: string[] };

/**
 * Where one experiment's eval runs: a directory holding exactly the commit's tracked files
 * (recreated or verified clean before every run), its own pid file, and the isolation it runs
 * under. Logs go to the tag's log folder, outside the slot. Acquired from a SlotPool with
 * `await using` and given back when the scope ends.
 */
export class Slot {
  readonly id: number;
  readonly root: string;
  readonly pidFile: string;
  #tree: TreeDir;
  #git: Git;
  #isolation: Isolation;
  #logs: string;
  #gate: StopGate | undefined;

  /** The device this slot's evals run on (a GPU's name and index), or null for the CPU. */
  readonly device: string | null;
  #env: Record<string, string>;

  constructor(options: {
    id: number;
    root: string;
    git: Git;
    isolation: Isolation;
    logs: string;
    /** One GPU for this slot: its evals see only it (CUDA_VISIBLE_DEVICES). */
    gpu?: { index: number; name: string };
    /** The batch's safe point: once it is stopping, no run starts here (Interrupted). */
    gate?: StopGate;
  }) {
    this.#gate = options.gate;
    this.id = options.id;
    this.device = options.gpu ? `${options.gpu.name} #${options.gpu.index}` : null;
    // AUTOEXP_WORKER tells an eval which worker runs it (per-worker caches, fake devices).
    this.#env = {
      AUTOEXP_WORKER: String(options.id),
      ...(options.gpu ? { CUDA_VISIBLE_DEVICES: String(options.gpu.index) } : {}),
    };
    this.root = options.root;
    this.pidFile = join(options.root, "eval.pid");
    this.#tree = new TreeDir(join(options.root, "tree"));
    this.#git = options.git;
    this.#isolation = options.isolation;
    this.#logs = options.logs;
  }

  #busyMs = 0;
  #running: number | null = null;
  #runs = 0;

  /** Eval runs this slot has finished, and the milliseconds they took. */
  get finished(): { runs: number; ms: number } {
    return { runs: this.#runs, ms: this.#busyMs };
  }

  /** Milliseconds this slot has spent running evals, the one running now included. */
  busyMs(now = performance.now()): number {
    return this.#busyMs + (this.#running === null ? 0 : now - this.#running);
  }

  /** The directory the eval runs in. */
  get dir(): string {
    return this.#tree.dir;
  }

  /** A file of the slot as it is now (null: gone or not a regular file). */
  async read(path: string): Promise<Buffer | null> {
    return readFile(join(this.dir, path)).catch(() => null);
  }

  /** Makes the slot hold exactly `commit`'s tracked files, plus the declared data links. */
  async prepare(commit: string): Promise<void> {
    await this.#tree.materialise(this.#git, commit, isRecord);
    await this.#isolation.linkData(this.dir);
  }

  /** Runs the eval once on a clean copy of `commit`, then checks the frozen files. */
  async evaluate(
    config: Pick<Config, "eval" | "frozen">,
    commit: string,
    name: string,
    env: Record<string, string | undefined>,
    frozen: Record<string, string>,
    onProgress?: (elapsedMs: number, lastLine: string) => void,
  ): Promise<CheckedOutcome> {
    this.#gate?.enter(`slot ${this.id}`, name);
    try {
      return await this.#evaluate(config, commit, name, env, frozen, onProgress);
    } finally {
      this.#gate?.leave(`slot ${this.id}`);
    }
  }

  async #evaluate(
    config: Pick<Config, "eval" | "frozen">,
    commit: string,
    name: string,
    env: Record<string, string | undefined>,
    frozen: Record<string, string>,
    onProgress?: (elapsedMs: number, lastLine: string) => void,
  ): Promise<CheckedOutcome> {
    await this.prepare(commit);
    await mkdir(this.#logs, { recursive: true });
    const logPath = join(this.#logs, `${name}.log`);
    // A run's log is its own: a candidate evaluated again (re-applied, resumed) starts afresh.
    await rm(logPath, { force: true });
    const started = performance.now();
    this.#running = started;
    // A live line while a long eval runs: its last output line, about once a second.
    const ticker = onProgress
      ? setInterval(async () => {
          const tail = tailLines(await readEnd(logPath, 4096).catch(() => ""), 1);
          onProgress(performance.now() - started, tail.split("\r").at(-1)!.trim());
        }, 1000)
      : undefined;
    const launched = this.#isolation.launch(
      config.eval.command,
      this.dir,
      // Every run gets a seed (blind runs): both sides of a pair share theirs, others a fresh one.
      { AUTOEXP_SEED: freshSeed(), ...env, ...this.#env },
      Object.keys(frozen),
    );
    const outcome = await runEval(config, this.dir, logPath, launched, this.pidFile).finally(() => {
      clearInterval(ticker);
      this.#busyMs += performance.now() - started;
      this.#running = null;
      this.#runs++;
    });
    await capLog(logPath);
    const tampered = diffManifests(frozen, await hashFrozen(this.dir, config.frozen));
    // What the run wrote is freed before anything is recorded (a full disk cannot stop the journal),
    // its copies of writable caches put back too (what it wrote there noted for the ledger).
    this.#tree.sweep();
    this.#isolation.settle(this.dir, { name, commit });
    return { ...outcome, tampered };
  }

  /** The user's correctness command on a fresh copy of `commit`; null when it passes. */
  async check(
    config: Pick<Config, "checks">,
    commit: string,
    name: string,
    env: Record<string, string | undefined>,
    frozen: readonly string[],
  ): Promise<{ reason: string; tail: string } | null> {
    const checks = config.checks!;
    this.#gate?.enter(`slot ${this.id}`, name);
    await this.prepare(commit).catch((error) => {
      this.#gate?.leave(`slot ${this.id}`);
      throw error;
    });
    await mkdir(this.#logs, { recursive: true });
    const logPath = join(this.#logs, `${name}.log`);
    const launched = this.#isolation.launch(
      checks.command,
      this.dir,
      { AUTOEXP_SEED: freshSeed(), ...env, ...this.#env },
      frozen,
    );
    const result = await runProcess({
      command: launched.command,
      cwd: this.dir,
      env: launched.env,
      timeoutMs: checks.timeout,
      logPath,
      pidFile: this.pidFile,
    }).finally(() => this.#gate?.leave(`slot ${this.id}`));
    await capLog(logPath);
    this.#tree.sweep();
    this.#isolation.settle(this.dir, { name, commit });
    if (result.exitCode === 0 && !result.timedOut) return null;
    const tail = tailLines(await readEnd(logPath, 64 * 1024));
    const how = result.spawnError
      ? result.spawnError
      : result.timedOut
        ? `timed out after ${Math.round(checks.timeout / 1000)}s`
        : result.signal
          ? `killed by ${result.signal}`
          : `exited with code ${result.exitCode}`;
    return { reason: `checks failed: ${how}`, tail };
  }
}

/** The slots of one batch, handed out one experiment at a time and given back on dispose. */
export class SlotPool {
  #free: Slot[];
  #all: readonly Slot[];
  #waiting: ((slot: Slot) => void)[] = [];
  #since = performance.now();

  constructor(slots: Slot[]) {
    this.#free = [...slots];
    this.#all = [...slots];
  }

  /** The share of the workers' wall time so far spent running evals (0..1): GPU busy share. */
  busyShare(): number {
    const now = performance.now();
    const wall = (now - this.#since) * this.#all.length;
    return wall > 0 ? this.#all.reduce((sum, s) => sum + s.busyMs(now), 0) / wall : 0;
  }

  /** Eval runs the slots have finished, and the milliseconds they took. */
  finished(): { runs: number; ms: number } {
    return this.#all.reduce(
      (sum, s) => ({ runs: sum.runs + s.finished.runs, ms: sum.ms + s.finished.ms }),
      { runs: 0, ms: 0 },
    );
  }

  /** Waits for a free slot; `await using lease = await pool.acquire()` gives it back. */
  async acquire(): Promise<{ slot: Slot } & AsyncDisposable> {
    const slot = this.#free.shift() ?? (await new Promise<Slot>((r) => this.#waiting.push(r)));
    return { slot, [Symbol.asyncDispose]: async () => this.#release(slot) };
  }

  #release(slot: Slot): void {
    const next = this.#waiting.shift();
    if (next) next(slot);
    else this.#free.push(slot);
  }
}

/** A run's AUTOEXP_SEED when it is not one side of a pair (which shares its pair's). */
function freshSeed(): string {
  return String(randomInt(1, 2 ** 31));
}
