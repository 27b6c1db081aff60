import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RecordStore } from "../../action/engine/record-store.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { renderRecordFiles } from "../../action/ledger/record-files.ts";
import { buildHeader, buildResultRow } from "../../action/ledger/rows.ts";
import type { ConfigEntry, ResultEntry, Status } from "../../action/ledger/types.ts";
import { processStartTime } from "../../action/process/run-process.ts";
import { AutoexpError } from "../../action/util/errors.ts";
import { git, makeRepo, writeFiles } from "../helpers/repo.ts";

const TAG = "night";
const RECORD = [
  `.autoexp/${TAG}/dashboard.md`,
  `.autoexp/${TAG}/log.jsonl`,
  `.autoexp/${TAG}/progress.svg`,
  `.autoexp/${TAG}/results.tsv`,
];

const open = (repoDir: string, tag = TAG) => RecordStore.open({ repoDir, tag, env: process.env });

const stateDir = (repo: string, tag = TAG) => join(repo, ".git", "autoexp", tag);
const lockPath = (repo: string, tag = TAG) => join(stateDir(repo, tag), "lock");
const journalPath = (repo: string, tag = TAG) => join(stateDir(repo, tag), "log.jsonl");

function header(base: string): ConfigEntry {
  return buildHeader(
    {
      tag: TAG,
      name: "tiny",
      target: ["train.py"],
      frozen: ["eval.py"],
      evalCommand: ["python", "eval.py"],
      metric: "loss",
      goal: "minimize",
      guards: {},
      baseline: 1,
      minDeltas: { loss: 0.01 },
      noise: 0.02,
      rule: "primary",
      objectives: [{ name: "loss", goal: "minimize" }],
      baselineMetrics: { loss: 1 },
      confidence: 0.95,
      frozenHashes: {},
      agent: "search",
      baseCommit: base,
    },
    "2026-11-23T00:00:00.000Z",
  );
}

function result(
  iteration: number,
  status: Status,
  commit: string | undefined,
  score: number | null,
): ResultEntry {
  return buildResultRow(
    TAG,
    iteration,
    undefined,
    {
      status,
      score,
      delta: score === null ? null : score - 1,
      metrics: score === null ? {} : { loss: score },
      samples: score === null ? {} : { loss: [score] },
      guard_pass: null,
      ...(commit ? { commit } : {}),
    },
    { description: `experiment ${iteration}`, agentSeconds: 1 },
    `2026-11-23T00:0${iteration}:00.000Z`,
  );
}

function baseline(base: string): ResultEntry {
  return { ...result(0, "baseline", base, 1), diff: null, description: "baseline" };
}

/** A repo with a committed program and a started record; the store is closed again. */
async function startedRepo(): Promise<{ repo: string; base: string }> {
  const repo = makeRepo({ "train.py": "lr = 0.1\n", "eval.py": "print('loss: 1')\n" });
  const base = git(repo, "rev-parse", "HEAD").trim();
  const { store } = await open(repo);
  await using _ = store;
  await store.start(header(base), baseline(base));
  return { repo, base };
}

/** A candidate commit on `parent` with train.py changed, as autoexp builds one. */
async function candidate(store: RecordStore, parent: string, lr: string): Promise<string> {
  return store.repo.commitFiles(
    parent,
    { "train.py": { content: `lr = ${lr}\n` } },
    join(store.stateDir, "test.index"),
    `candidate lr ${lr}`,
  );
}

/** The paths a commit changed against its first parent. */
const changedBy = (repo: string, commit: string) =>
  git(repo, "diff-tree", "-r", "--name-only", "--no-commit-id", `${commit}^`, commit)
    .trim()
    .split("\n")
    .sort();

/** Files under the record folder on the branch. */
const recordTree = (repo: string) =>
  git(repo, "ls-tree", "-r", "--name-only", `autoexp/${TAG}`, `.autoexp/${TAG}/`)
    .trim()
    .split("\n")
    .sort();

async function refusal(promise: Promise<unknown>): Promise<AutoexpError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AutoexpError);
  return error as AutoexpError;
}

describe("RecordStore's lock", () => {
  it("is exclusive: a second open of the same tag fails naming the pid that holds it", async () => {
    const { repo } = await startedRepo();
    const { store } = await open(repo);
    try {
      const error = await refusal(open(repo));
      expect(error.message).toBe(
        `tag ${TAG} is in use by another autoexp (pid ${process.pid}); wait for it or use another --tag`,
      );
      expect(error.exitCode).toBe(1);
      // Another tag is not blocked.
      const other = await open(repo, "other");
      await other.store[Symbol.asyncDispose]();
    } finally {
      await store[Symbol.asyncDispose]();
    }
    expect(existsSync(lockPath(repo))).toBe(false);
    const again = await open(repo);
    await again.store[Symbol.asyncDispose]();
  });

  it("refuses a lock held by another live process", async () => {
    const { repo } = await startedRepo();
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
      stdio: "ignore",
    });
    try {
      await new Promise((r) => child.once("spawn", r));
      const pid = child.pid!;
      writeFileSync(lockPath(repo), `${pid} ${processStartTime(pid)}\n`);
      const error = await refusal(open(repo));
      expect(error.message).toContain(`in use by another autoexp (pid ${pid})`);
      expect(readFileSync(lockPath(repo), "utf8")).toBe(`${pid} ${processStartTime(pid)}\n`);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("refuses an empty lock file instead of treating it as stale, naming the file", async () => {
    const { repo } = await startedRepo();
    writeFileSync(lockPath(repo), "");
    const error = await refusal(open(repo));
    expect(error.message).toContain(`the lock ${lockPath(repo)} does not name an autoexp process`);
    expect(error.message).toContain("delete that file and run again");
    expect(error.exitCode).toBe(1);
    expect(readFileSync(lockPath(repo), "utf8")).toBe("");
  });

  it("refuses a lock naming pid 1, or holding garbage, and leaves it in place", async () => {
    const { repo } = await startedRepo();
    for (const text of ["1 12345\n", "0 12345\n", "-7 12345\n", "hello world\n", "4242\n"]) {
      writeFileSync(lockPath(repo), text);
      const error = await refusal(open(repo));
      expect(error.message).toContain(
        `the lock ${lockPath(repo)} does not name an autoexp process`,
      );
      expect(error.message).toContain(JSON.stringify(text));
      expect(readFileSync(lockPath(repo), "utf8")).toBe(text);
    }
  });

  it("replaces a lock left by a killed run (its pid is dead) and takes it", async () => {
    const { repo } = await startedRepo();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    expect(processStartTime(dead)).toBeNull();
    writeFileSync(lockPath(repo), `${dead} 123456\n`);
    const { store } = await open(repo);
    try {
      expect(readFileSync(lockPath(repo), "utf8")).toBe(
        `${process.pid} ${processStartTime(process.pid)}\n`,
      );
    } finally {
      await store[Symbol.asyncDispose]();
    }
  });

  it("replaces a lock whose pid now belongs to another process (another start time)", async () => {
    const { repo } = await startedRepo();
    writeFileSync(lockPath(repo), `${process.pid} 1\n`);
    const { store } = await open(repo);
    try {
      expect(readFileSync(lockPath(repo), "utf8")).toBe(
        `${process.pid} ${processStartTime(process.pid)}\n`,
      );
    } finally {
      await store[Symbol.asyncDispose]();
    }
  });

  it("gives the lock back when the open fails on a branch autoexp did not make", async () => {
    const repo = makeRepo({ "train.py": "lr = 0.1\n" });
    git(repo, "branch", `autoexp/${TAG}`);
    const error = await refusal(open(repo));
    expect(error.message).toContain(`branch autoexp/${TAG} exists but has no`);
    expect(existsSync(lockPath(repo))).toBe(false);
  });
});

describe("RecordStore's journal", () => {
  it("gives back on reopen the ledger it recorded, with nothing to recover", async () => {
    const { repo } = await startedRepo();
    let before: ReturnType<typeof entries>;
    let head: string | null;
    {
      const { store } = await open(repo);
      await using _ = store;
      const c1 = await candidate(store, store.head!, "0.2");
      await store.append([result(1, "discard", c1, 1.1)]);
      await store.append([{ type: "batch", event: "end", timestamp: "t", reason: "budget" }]);
      before = entries(store);
      head = store.head;
    }
    const { store, recovered } = await open(repo);
    await using _ = store;
    expect(recovered).toEqual([]);
    expect(entries(store)).toEqual(before);
    expect(store.head).toBe(head);
    expect(readFileSync(journalPath(repo), "utf8")).toBe(
      git(repo, "show", `autoexp/${TAG}:.autoexp/${TAG}/log.jsonl`),
    );
  });

  it("commits on reopen a line the journal holds but the branch lacks (a crash between the two)", async () => {
    const { repo } = await startedRepo();
    let c1: string;
    {
      const { store } = await open(repo);
      await using _ = store;
      c1 = await candidate(store, store.head!, "0.05");
    }
    const branchBefore = git(repo, "rev-parse", `autoexp/${TAG}`).trim();
    // What a run killed after the journal's fsync and before update-ref leaves behind.
    appendFileSync(journalPath(repo), `${JSON.stringify(result(1, "keep", c1, 0.9))}\n`);
    const { store, recovered } = await open(repo);
    await using _ = store;
    expect(recovered).toEqual(["recorded 1 experiment(s) that were logged before a crash"]);
    expect(store.log!.results.map((r) => [r.iteration, r.status])).toEqual([
      [0, "baseline"],
      [1, "keep"],
    ]);
    const branch = git(repo, "rev-parse", `autoexp/${TAG}`).trim();
    expect(branch).not.toBe(branchBefore);
    expect(store.head).toBe(branch);
    expect(git(repo, "show", `autoexp/${TAG}:.autoexp/${TAG}/log.jsonl`)).toBe(
      readFileSync(journalPath(repo), "utf8"),
    );
    // The kept candidate is the record's code, and its ref exists.
    expect(git(repo, "rev-parse", `${branch}^`).trim()).toBe(c1);
    expect(git(repo, "rev-parse", `refs/autoexp/${TAG}/1`).trim()).toBe(c1);
    expect(git(repo, "show", `autoexp/${TAG}:train.py`)).toBe("lr = 0.05\n");
  });

  it("drops a line cut off by a crash and rewrites the journal to match the branch", async () => {
    const { repo } = await startedRepo();
    const whole = readFileSync(journalPath(repo), "utf8");
    appendFileSync(journalPath(repo), `{"type":"result","iteration":1,"sta`);
    const { store, recovered } = await open(repo);
    await using _ = store;
    expect(recovered).toEqual(["dropped a ledger line cut off by a crash"]);
    expect(store.log!.results).toHaveLength(1);
    expect(readFileSync(journalPath(repo), "utf8")).toBe(whole);
  });

  it("refuses a journal that disagrees with the branch, changing nothing", async () => {
    const { repo } = await startedRepo();
    {
      const { store } = await open(repo);
      await using _ = store;
      await store.append([result(1, "discard", undefined, 1.2)]);
    }
    const branch = git(repo, "rev-parse", `autoexp/${TAG}`).trim();
    const lines = readFileSync(journalPath(repo), "utf8").trim().split("\n");
    const forged = [
      ...lines.slice(0, -1),
      JSON.stringify(result(1, "keep", undefined, 0.5)),
      JSON.stringify(result(2, "discard", undefined, 1.3)),
    ];
    writeFileSync(journalPath(repo), `${forged.join("\n")}\n`);
    const error = await refusal(open(repo));
    expect(error.message).toContain(
      `the journal ${journalPath(repo)} and branch autoexp/${TAG} disagree`,
    );
    expect(git(repo, "rev-parse", `autoexp/${TAG}`).trim()).toBe(branch);
    expect(existsSync(lockPath(repo))).toBe(false);
  });

  it("rebuilds a missing journal from the branch (a fresh runner)", async () => {
    const { repo } = await startedRepo();
    const text = readFileSync(journalPath(repo), "utf8");
    writeFileSync(journalPath(repo), "");
    const { store, recovered } = await open(repo);
    await using _ = store;
    expect(recovered).toEqual([]);
    expect(readFileSync(journalPath(repo), "utf8")).toBe(text);
  });
});

describe("RecordStore's record commits", () => {
  it("hold exactly log.jsonl, results.tsv, dashboard.md and progress.svg on the starting commit", async () => {
    const { repo, base } = await startedRepo();
    const head = git(repo, "rev-parse", `autoexp/${TAG}`).trim();
    expect(git(repo, "rev-parse", `${head}^`).trim()).toBe(base);
    expect(changedBy(repo, head)).toEqual(RECORD);
    expect(recordTree(repo)).toEqual(RECORD);
  });

  it("add notes.md once there are notes", async () => {
    const { repo } = await startedRepo();
    const { store } = await open(repo);
    await using _ = store;
    await store.append([result(1, "no_change", undefined, null)]);
    expect(recordTree(repo)).not.toContain(`.autoexp/${TAG}/notes.md`);
    await store.append([result(2, "discard", undefined, 1.1)], {
      notes: "lr above 0.1 diverges\n",
    });
    expect(changedBy(repo, store.head!)).toEqual([...RECORD, `.autoexp/${TAG}/notes.md`].sort());
    expect(recordTree(repo)).toEqual([...RECORD, `.autoexp/${TAG}/notes.md`].sort());
    expect(git(repo, "show", `autoexp/${TAG}:.autoexp/${TAG}/notes.md`)).toBe(
      "lr above 0.1 diverges\n",
    );
  });

  it("put a kept candidate's code under the record, touching only the record's files", async () => {
    const { repo } = await startedRepo();
    const { store } = await open(repo);
    await using _ = store;
    const c1 = await candidate(store, store.head!, "0.3");
    await store.append([result(1, "keep", c1, 0.8)]);
    expect(git(repo, "rev-parse", `${store.head}^`).trim()).toBe(c1);
    expect(changedBy(repo, store.head!)).toEqual(RECORD);
    expect(git(repo, "show", `${store.head}:train.py`)).toBe("lr = 0.3\n");
    // A discard's candidate is only reachable from its ref; the branch's code stays.
    const c2 = await candidate(store, store.head!, "9");
    await store.append([result(2, "discard", c2, 1.5)]);
    expect(git(repo, "show", `${store.head}:train.py`)).toBe("lr = 0.3\n");
    expect(git(repo, "rev-parse", `refs/autoexp/${TAG}/2`).trim()).toBe(c2);
  });

  it("read nothing from the checkout: not its edits, its index, or files it put in the record folder", async () => {
    const repo = makeRepo({ "train.py": "lr = 0.1\n", "eval.py": "print('loss: 1')\n" });
    const base = git(repo, "rev-parse", "HEAD").trim();
    writeFiles(repo, {
      "train.py": "lr = 666  # edited, not committed\n",
      "staged.txt": "staged\n",
      [`.autoexp/${TAG}/dashboard.md`]: "forged dashboard\n",
      [`.autoexp/${TAG}/log.jsonl`]: "forged log\n",
      [`.autoexp/${TAG}/extra.md`]: "planted\n",
    });
    git(repo, "add", "staged.txt");
    mkdirSync(stateDir(repo), { recursive: true });
    const { store } = await open(repo);
    await using _ = store;
    await store.start(header(base), baseline(base));
    await store.append([result(1, "discard", undefined, 1.1)], { notes: "a note\n" });
    const head = store.head!;
    expect(git(repo, "ls-tree", "-r", "--name-only", head).trim().split("\n").sort()).toEqual(
      ["eval.py", "train.py", ...RECORD, `.autoexp/${TAG}/notes.md`].sort(),
    );
    expect(git(repo, "show", `${head}:train.py`)).toBe("lr = 0.1\n");
    // The record's files are rendered from the ledger autoexp holds.
    const logText = git(repo, "show", `${head}:.autoexp/${TAG}/log.jsonl`);
    expect(logText).toBe(readFileSync(journalPath(repo), "utf8"));
    const rendered = renderRecordFiles(parseLog(logText), TAG);
    expect(git(repo, "show", `${head}:.autoexp/${TAG}/dashboard.md`)).toBe(rendered.dashboard);
    expect(git(repo, "show", `${head}:.autoexp/${TAG}/results.tsv`)).toBe(rendered.results);
    expect(git(repo, "show", `${head}:.autoexp/${TAG}/progress.svg`)).toBe(rendered.progress);
    // The checkout is as the user left it.
    expect(git(repo, "rev-parse", "HEAD").trim()).toBe(base);
    expect(git(repo, "diff", "--cached", "--name-only").trim()).toBe("staged.txt");
    expect(readFileSync(join(repo, "train.py"), "utf8")).toBe(
      "lr = 666  # edited, not committed\n",
    );
    expect(readFileSync(join(repo, `.autoexp/${TAG}/dashboard.md`), "utf8")).toBe(
      "forged dashboard\n",
    );
  });
});

/** A store's ledger entries (the parse bookkeeping aside). */
function entries(store: RecordStore) {
  const log = store.log!;
  return {
    config: log.config,
    results: log.results,
    batches: log.batches,
    remeasures: log.remeasures,
  };
}

describe("RecordStore with a long ledger", () => {
  /** A started record whose journal holds `rows` more experiments, committed by the next open. */
  async function longRecord(rows: number) {
    const { repo, base } = await startedRepo();
    const extra = Array.from({ length: rows }, (_, i) => result(i + 1, "discard", undefined, 1.1));
    appendFileSync(journalPath(repo), extra.map((e) => `${JSON.stringify(e)}\n`).join(""));
    return { repo, base };
  }
  const show = (repo: string, path: string) =>
    git(repo, "show", `autoexp/${TAG}:.autoexp/${TAG}/${path}`);
  const blob = (repo: string, path: string) =>
    git(repo, "rev-parse", `autoexp/${TAG}:.autoexp/${TAG}/${path}`).trim();

  it("seals full blocks of 1,000 lines that later records never rewrite; plain git rebuilds the journal", async () => {
    const { repo } = await longRecord(2_100);
    const { store, recovered } = await open(repo);
    await using _ = store;
    expect(recovered.join(" ")).toMatch(/recorded 2100 experiment/);
    const tail = show(repo, "log.jsonl");
    expect(tail.split("\n")[0]).toBe(
      '{"type":"continues","segments":["log/000001.jsonl","log/000002.jsonl"]}',
    );
    // An outsider's reading: the named files in order, then the rest of log.jsonl.
    const rebuilt =
      show(repo, "log/000001.jsonl") +
      show(repo, "log/000002.jsonl") +
      tail.slice(tail.indexOf("\n") + 1);
    expect(rebuilt).toBe(readFileSync(journalPath(repo), "utf8"));
    const sealed = [blob(repo, "log/000001.jsonl"), blob(repo, "log/000002.jsonl")];
    const objectsBefore = git(repo, "count-objects").trim();
    await store.append([result(2_101, "discard", undefined, 1.2)]);
    expect([blob(repo, "log/000001.jsonl"), blob(repo, "log/000002.jsonl")]).toEqual(sealed);
    // The new record commit rewrote log.jsonl only (renderings lag, see below): the commit, its
    // trees and one small blob.
    const added =
      Number(/^(\d+) objects/.exec(git(repo, "count-objects").trim())![1]) -
      Number(/^(\d+) objects/.exec(objectsBefore)![1]);
    expect(added).toBeLessThanOrEqual(5);
    expect(changedBy(repo, store.head!)).toEqual([`.autoexp/${TAG}/log.jsonl`]);
    // Reopened, the store reads the segments back: nothing to recover, the same ledger.
    await store[Symbol.asyncDispose]();
    const again = await open(repo);
    await using __ = again.store;
    expect(again.recovered).toEqual([]);
    expect(again.store.log!.results).toHaveLength(2_102); // the baseline and 2,101 experiments;
  });

  it("redraws results.tsv and the dashboard as the ledger grows by 1/64, and with every other kind of line", async () => {
    const { repo } = await longRecord(1_300);
    const { store } = await open(repo);
    await using _ = store;
    const rowsIn = () => show(repo, "results.tsv").trim().split("\n").length - 1;
    expect(rowsIn()).toBe(1_301); // drawn when recovery committed the journal
    for (let i = 1; i <= 3; i++) await store.append([result(1_300 + i, "discard", undefined, 1.2)]);
    expect(rowsIn()).toBe(1_301); // 3 new rows are less than 1/64 of the ledger
    await store.append([
      {
        type: "batch",
        event: "end",
        timestamp: "2026-11-23T01:00:00.000Z",
        reason: "done",
        experiments: 3,
      },
    ] as never);
    expect(rowsIn()).toBe(1_304);
    expect(show(repo, "results.tsv")).toBe(
      renderRecordFiles(parseLog(readFileSync(journalPath(repo), "utf8")), TAG).results,
    );
  });
});
