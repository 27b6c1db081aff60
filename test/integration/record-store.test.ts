import { spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { entryItems, ledgerText, readJournal, signItems } from "../../action/engine/journal.ts";
import { RecordStore } from "../../action/engine/record-store.ts";
import { stateKey } from "../../action/engine/state-key.ts";
import { formatLines, parseLog } from "../../action/ledger/log-jsonl.ts";
import { renderRecordFiles } from "../../action/ledger/record-files.ts";
import { buildHeader, buildResultRow } from "../../action/ledger/rows.ts";
import type { ConfigEntry, LedgerEntry, ResultEntry, Status } from "../../action/ledger/types.ts";
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

/** The ledger the signed journal holds (its signatures checked). */
async function journalLedger(repo: string): Promise<string> {
  const journal = await readJournal(journalPath(repo), await stateKey(process.env), TAG);
  if (journal.kind !== "signed") throw new Error(`journal is ${journal.kind}`);
  return ledgerText(journal.items);
}

/** Appends entries signed as autoexp signs them: what a run killed before update-ref leaves. */
async function appendSigned(repo: string, entries: readonly LedgerEntry[]): Promise<void> {
  const key = await stateKey(process.env);
  const journal = await readJournal(journalPath(repo), key, TAG);
  if (journal.kind !== "signed") throw new Error(`journal is ${journal.kind}`);
  appendFileSync(
    journalPath(repo),
    signItems(key, TAG, journal.last, entryItems(formatLines(entries))).text,
  );
}

/** The branch's ledger. */
const branchLedger = (repo: string) =>
  git(repo, "show", `autoexp/${TAG}:.autoexp/${TAG}/log.jsonl`);

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
    expect(await journalLedger(repo)).toBe(branchLedger(repo));
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
    await appendSigned(repo, [result(1, "keep", c1, 0.9)]);
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
    expect(branchLedger(repo)).toBe(await journalLedger(repo));
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

  it("refuses a journal line autoexp did not sign (a hook's forged keep), changing nothing", async () => {
    const { repo } = await startedRepo();
    {
      const { store } = await open(repo);
      await using _ = store;
      await store.append([result(1, "discard", undefined, 1.2)]);
    }
    const branch = git(repo, "rev-parse", `autoexp/${TAG}`).trim();
    const forged = JSON.stringify(result(2, "keep", undefined, 0.05));
    appendFileSync(journalPath(repo), `${"0".repeat(64)} ${forged}\n`);
    const before = readFileSync(journalPath(repo), "utf8");
    expect(before).toContain(forged); // the attack was made
    const error = await refusal(open(repo));
    expect(error.message).toContain(`the journal ${journalPath(repo)} line `);
    expect(error.message).toContain("was not written by autoexp");
    expect(error.message).toContain("autoexp run --adopt");
    expect(git(repo, "rev-parse", `autoexp/${TAG}`).trim()).toBe(branch);
    expect(readFileSync(journalPath(repo), "utf8")).toBe(before);
    expect(existsSync(lockPath(repo))).toBe(false);
  });

  it("refuses a signed line whose bytes were changed, or lines dropped from the middle", async () => {
    const { repo } = await startedRepo();
    {
      const { store } = await open(repo);
      await using _ = store;
      await store.append([result(1, "discard", undefined, 1.2)]);
      await store.append([result(2, "discard", undefined, 1.3)]);
    }
    const whole = readFileSync(journalPath(repo), "utf8");
    const lines = whole.split("\n").filter(Boolean);
    // A score changed inside a signed line, its signature kept.
    const edited = whole.replace('"score":1.2,', '"score":0.05,');
    expect(edited).not.toBe(whole);
    writeFileSync(journalPath(repo), edited);
    expect((await refusal(open(repo))).message).toContain("was not written by autoexp");
    // The row of experiment 1 and its head dropped: every line after chains on what came before.
    const dropped = lines.filter((l) => !l.includes('"iteration":1,'));
    expect(dropped.length).toBe(lines.length - 1);
    writeFileSync(journalPath(repo), `${dropped.join("\n")}\n`);
    expect((await refusal(open(repo))).message).toContain("was not written by autoexp");
    writeFileSync(journalPath(repo), whole);
    const { store, recovered } = await open(repo);
    await using _ = store;
    expect(recovered).toEqual([]);
  });

  it("refuses a branch moved by something else, again on the next open, and adopts it only when asked, after checks", async () => {
    const { repo } = await startedRepo();
    let c1: string;
    {
      const { store } = await open(repo);
      await using _ = store;
      c1 = await candidate(store, store.head!, "0.3");
      await store.append([result(1, "keep", c1, 0.9)]);
    }
    const ours = git(repo, "rev-parse", `autoexp/${TAG}`).trim();
    const journal = readFileSync(journalPath(repo), "utf8");
    // A forged record on top: a keep claiming 0.05 whose commit changes only the target, built on
    // the incumbent (so the structural checks pass; a keep that reuses #1's commit would not).
    const c2 = forgeCommit(repo, ours, { "train.py": "lr = 0.5\n" });
    const forgedLedger = `${branchLedger(repo)}${JSON.stringify(result(2, "keep", c2, 0.05))}\n`;
    const forged = forgeRecord(repo, c2, forgedLedger);
    git(repo, "update-ref", `refs/heads/autoexp/${TAG}`, forged);
    expect(git(repo, "rev-parse", `autoexp/${TAG}`).trim()).toBe(forged); // the attack was made
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await refusal(open(repo));
      expect(error.message).toContain(
        `branch autoexp/${TAG} is at ${forged.slice(0, 7)}, but autoexp last wrote ${ours.slice(0, 7)} there`,
      );
      expect(error.message).toContain("autoexp run --adopt");
      expect(git(repo, "rev-parse", `autoexp/${TAG}`).trim()).toBe(forged);
      expect(readFileSync(journalPath(repo), "utf8")).toBe(journal);
    }
    const adopt = { target: ["train.py"], frozen: ["eval.py"] };
    // The Action adopts only the remote head its publish checked: another commit is refused.
    await refusal(
      RecordStore.open({
        repoDir: repo,
        tag: TAG,
        env: process.env,
        adopt: { ...adopt, head: ours },
      }),
    );
    const { store, recovered } = await RecordStore.open({
      repoDir: repo,
      tag: TAG,
      env: process.env,
      adopt,
    });
    await using _ = store;
    expect(recovered.join("\n")).toContain(
      `adopted branch autoexp/${TAG} at ${forged.slice(0, 7)}`,
    );
    expect(recovered.join("\n")).toContain("2 kept commit(s) checked");
    expect(store.log!.results).toHaveLength(3);
    expect(await journalLedger(repo)).toBe(forgedLedger);
    // The journal it replaced is kept, never deleted.
    const aside = readdirSync(stateDir(repo)).filter((n) => n.startsWith("log.jsonl.replaced-"));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(stateDir(repo), aside[0]!), "utf8")).toBe(journal);
  });

  it.each([
    ["changes the frozen file eval.py", { "eval.py": "print('loss: 0.05')\n" }, "base"],
    ["changes notes.txt, which is not a target path", { "notes.txt": "x\n" }, "base"],
    ["was not built on the incumbent", { "train.py": "lr = 9\n" }, "elsewhere"],
  ] as const)(
    "refuses to adopt a forged keep that %s, changing nothing",
    async (why, files, on) => {
      const { repo, base } = await startedRepo();
      const ours = git(repo, "rev-parse", `autoexp/${TAG}`).trim();
      // The forged keep's parent: the record (the incumbent's code), or a commit with other code.
      const parent = on === "base" ? ours : forgeCommit(repo, base, { "train.py": "lr = 7\n" });
      const keep = forgeCommit(repo, parent, files);
      const ledger = `${branchLedger(repo)}${JSON.stringify(result(1, "keep", keep, 0.05))}\n`;
      const forged = forgeRecord(repo, keep, ledger);
      git(repo, "update-ref", `refs/heads/autoexp/${TAG}`, forged);
      expect(git(repo, "show", `autoexp/${TAG}:.autoexp/${TAG}/log.jsonl`)).toContain(
        '"score":0.05',
      );
      const journal = readFileSync(journalPath(repo), "utf8");
      const error = await refusal(
        RecordStore.open({
          repoDir: repo,
          tag: TAG,
          env: process.env,
          adopt: { target: ["train.py"], frozen: ["eval.py"] },
        }),
      );
      expect(error.message).toContain(
        `branch autoexp/${TAG} cannot be adopted: #1 (keep, commit ${keep.slice(0, 7)})`,
      );
      expect(error.message).toContain(why);
      expect(git(repo, "rev-parse", `autoexp/${TAG}`).trim()).toBe(forged);
      expect(readFileSync(journalPath(repo), "utf8")).toBe(journal);
    },
  );

  it("refuses a branch it has no journal for (a fresh clone) unless adopted, then signs from there", async () => {
    const { repo } = await startedRepo();
    const ledger = branchLedger(repo);
    rmSync(journalPath(repo));
    const error = await refusal(open(repo));
    expect(error.message).toContain(`there is no journal for tag ${TAG} here`);
    expect(existsSync(journalPath(repo))).toBe(false);
    {
      const { store, recovered } = await RecordStore.open({
        repoDir: repo,
        tag: TAG,
        env: process.env,
        adopt: { target: ["train.py"], frozen: ["eval.py"] },
      });
      await using _ = store;
      expect(recovered.join("\n")).toContain("no journal here");
      expect(await journalLedger(repo)).toBe(ledger);
    }
    const { store, recovered } = await open(repo);
    await using _ = store;
    expect(recovered).toEqual([]);
  });

  it("refuses a journal written by an older autoexp (unsigned) unless adopted", async () => {
    const { repo } = await startedRepo();
    const ledger = branchLedger(repo);
    writeFileSync(journalPath(repo), ledger); // what autoexp wrote before journals were signed
    expect((await refusal(open(repo))).message).toContain(
      "was written by an older autoexp and is not signed",
    );
    const { store, recovered } = await RecordStore.open({
      repoDir: repo,
      tag: TAG,
      env: process.env,
      adopt: { target: ["train.py"], frozen: ["eval.py"] },
    });
    await using _ = store;
    expect(recovered.join("\n")).toContain("its journal was unsigned");
    expect(await journalLedger(repo)).toBe(ledger);
  });
});

/** A commit on `parent` with `files` changed, made with plain git plumbing (as an attacker would). */
function forgeCommit(repo: string, parent: string, files: Record<string, string>): string {
  const index = join(repo, ".git", `forge-${Math.random().toString(36).slice(2)}`);
  const env = { ...process.env, GIT_INDEX_FILE: index };
  const run = (args: string[], input?: string) =>
    spawnSync("git", args, { cwd: repo, env, input, encoding: "utf8" }).stdout.trim();
  run(["read-tree", parent]);
  for (const [path, content] of Object.entries(files)) {
    const blob = run(["hash-object", "-w", "--stdin"], content);
    run(["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`]);
  }
  const tree = run(["write-tree"]);
  rmSync(index, { force: true });
  return run(["commit-tree", tree, "-p", parent, "-m", "forged"]);
}

/** A record commit on `parent` holding `ledger` as the tag's log.jsonl. */
function forgeRecord(repo: string, parent: string, ledger: string): string {
  return forgeCommit(repo, parent, { [`.autoexp/${TAG}/log.jsonl`]: ledger });
}

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
    // The agent writes notes.md: what a terminal acts on (a `cat notes.md` that clears the
    // screen, retitles it, reorders what is read) is not committed; its words are.
    await store.append([result(3, "discard", undefined, 1.2)], {
      notes: "lr above 0.1 diverges\n\x1b[2J\x1b]0;owned\x07wd 0.1 \u202eok\u202c\r\n",
    });
    expect(git(repo, "show", `autoexp/${TAG}:.autoexp/${TAG}/notes.md`)).toBe(
      "lr above 0.1 diverges\nwd 0.1 ok\n",
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
    expect(logText).toBe(await journalLedger(repo));
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
    await appendSigned(repo, extra);
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
    expect(rebuilt).toBe(await journalLedger(repo));
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
      renderRecordFiles(parseLog(await journalLedger(repo)), TAG).results,
    );
  });
});
