import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { appendLog } from "../files/append-log.ts";
import { writeAtomic } from "../files/write-atomic.ts";
import { type CommitFile, type Git, GitError, withIdentity } from "../git/git.ts";
import { capNotes } from "../ledger/cap-notes.ts";
import { countEntries, isPrefix } from "../ledger/ledger-prefix.ts";
import { addEntry, emptyLog, formatLines, type ParsedLog, parseLog } from "../ledger/log-jsonl.ts";
import {
  type Renderings,
  recordDir,
  recordFiles,
  renderRecordFiles,
} from "../ledger/record-files.ts";
import { appendSegments, type Segmented, segment } from "../ledger/segments.ts";
import { KEPT, type LedgerEntry, type ResultEntry } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import { findRepository } from "./find-repository.ts";
import { killLeftovers } from "./kill-leftovers.ts";
import { type Lock, takeLock } from "./lock.ts";
import { showLedger } from "./read-ledger.ts";

/** Writes half of a ledger append and dies (the resume tests' torn write); see faults.ts. */
type BeforeWrite = (path: string, data: string) => void;

/**
 * The record of one tag, owned by autoexp alone: the ledger and notes held in memory, a journal
 * (`.git/autoexp/<tag>/log.jsonl`, fsynced before any ref moves) for crash recovery, and record
 * commits built from those bytes, never from a tree an agent or eval could write.
 *
 * Crash safety rests on one ordering: the journal line is on disk first, then one atomic
 * update-ref moves the branch (and the experiments' refs) to a record commit holding it. At any
 * kill point the branch is a consistent record, and the journal holds at most the entries the
 * branch lacks; `open` commits those.
 */
export class RecordStore implements AsyncDisposable {
  readonly tag: string;
  readonly branch: string;
  readonly repo: Git;
  readonly stateDir: string;
  #head: string | null;
  #log: ParsedLog | null = null;
  /** The ledger's text as record commits lay it out: sealed segments and the open tail. */
  #layout: Segmented = segment("");
  #lines = 0;
  /** The renderings last committed, and the ledger's line count they were drawn at. */
  #rendered: { files: Renderings; lines: number } | null = null;
  /** Per record path, the content last written and its blob: unchanged files are not re-hashed. */
  #blobs = new Map<string, { content: string; sha: string }>();
  #notes = "";
  #lock: Lock;
  #redact: (text: string) => string;

  private constructor(repo: Git, tag: string, stateDir: string, head: string | null, lock: Lock) {
    this.repo = repo;
    this.tag = tag;
    this.branch = `refs/heads/autoexp/${tag}`;
    this.stateDir = stateDir;
    this.#head = head;
    this.#lock = lock;
    this.#redact = (t) => t;
  }

  /** The branch head: the last record commit, whose code is the incumbent. */
  get head(): string | null {
    return this.#head;
  }

  /** The ledger as recorded; null before the baseline. */
  get log(): ParsedLog | null {
    return this.#log;
  }

  /** notes.md as recorded: the agent's memory. */
  get notes(): string {
    return this.#notes;
  }

  get journalPath(): string {
    return join(this.stateDir, "log.jsonl");
  }

  /** Opens the tag's record, takes its lock, kills what a killed run left, and recovers. */
  static async open(options: {
    repoDir: string;
    tag: string;
    env: Record<string, string | undefined>;
    redact?: (text: string) => string;
  }): Promise<{ store: RecordStore; recovered: string[] }> {
    const probe = await findRepository(options.repoDir, options.env);
    const repo = probe.withEnv(await withIdentity(probe, options.env));
    const stateDir = join(await repo.commonDir(), "autoexp", options.tag);
    await mkdir(stateDir, { recursive: true });
    const lock = await takeLock(join(stateDir, "lock"), options.tag);
    const head = await repo.resolve(`refs/heads/autoexp/${options.tag}`);
    const store = new RecordStore(repo, options.tag, stateDir, head, lock);
    if (options.redact) store.#redact = options.redact;
    try {
      const recovered = await store.#recover();
      return { store, recovered };
    } catch (error) {
      await store[Symbol.asyncDispose]();
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#lock.release();
  }

  async #recover(): Promise<string[]> {
    const recovered: string[] = [];
    if (await killLeftovers(this.stateDir)) {
      recovered.push("killed an eval or agent left running by a run that was killed");
    }
    await this.#dropLegacyWorktree();
    const dir = recordDir(this.tag);
    let committedText: string | null = null;
    if (this.#head) {
      committedText = await showLedger(this.repo, this.#head, this.tag);
      if (committedText === null) {
        throw new AutoexpError(
          `branch autoexp/${this.tag} exists but has no ${dir}/log.jsonl, so it was not made by autoexp; nothing was changed. Use another --tag, or delete that branch if it is yours to delete`,
        );
      }
      this.#notes = (await this.repo.show(this.#head, `${dir}/notes.md`)) ?? "";
    }
    const committed = committedText === null ? null : parseLedger(committedText, "branch");
    const journalText = await readFile(this.journalPath, "utf8").catch(() => null);
    let journal = journalText === null ? null : parseLedger(journalText, "journal");
    let text = journalText ?? "";
    if (journal?.torn) {
      text = text.slice(0, byteSafeSlice(text, journal.validBytes));
      journal = parseLog(text);
      recovered.push("dropped a ledger line cut off by a crash");
    }
    if (journal && countEntries(journal) > countEntries(committed)) {
      if (committed && !isPrefix(committed, journal)) {
        throw new AutoexpError(
          `the journal ${this.journalPath} and branch autoexp/${this.tag} disagree; nothing was changed. Inspect both; to trust the branch, delete the journal`,
          { exitCode: 1 },
        );
      }
      const fresh = journal.results.slice(committed?.results.length ?? 0);
      this.#notes = await readFile(join(this.stateDir, "notes.md"), "utf8").catch(
        () => this.#notes,
      );
      this.#setText(text);
      this.#log = journal;
      await writeAtomic(this.journalPath, text);
      await this.#commit(fresh);
      recovered.push(`recorded ${fresh.length} experiment(s) that were logged before a crash`);
      return recovered;
    }
    this.#setText(committedText ?? "");
    this.#log = committed;
    // The journal follows the branch (a fresh runner, or a journal behind a published branch).
    if (committedText !== null && committedText !== journalText) {
      await writeAtomic(this.journalPath, committedText);
    }
    if (committedText === null && journalText !== null) await rm(this.journalPath, { force: true });
    return recovered;
  }

  #setText(text: string): void {
    this.#layout = segment(text);
    this.#lines = countLines(text);
  }

  /** Tags started before slots ran in a git worktree here; it only invites tampering now. */
  async #dropLegacyWorktree(): Promise<void> {
    const legacy = join(this.stateDir, "worktree");
    if (!existsSync(legacy)) return;
    await rm(legacy, { recursive: true, force: true });
    await this.repo.pruneWorktrees();
  }

  /** The first record: the config line and the baseline row, on the starting commit. */
  async start(header: LedgerEntry, baseline: ResultEntry): Promise<void> {
    if (this.#log) throw new Error("RecordStore.start: the tag already has a ledger");
    this.#log = emptyLog();
    this.#head = null;
    await this.append([header, baseline]);
  }

  /**
   * Records entries: the journal first (fsynced), then one record commit and one atomic ref
   * update. Result rows with a candidate commit get their ref `refs/autoexp/<tag>/<n>`; a kept
   * row's commit becomes the branch's code.
   */
  async append(
    entries: readonly LedgerEntry[],
    options: { notes?: string; beforeWrite?: BeforeWrite; afterJournal?: () => void } = {},
  ): Promise<void> {
    const log = this.#log;
    if (!log) throw new Error("RecordStore.append before start");
    if (options.notes !== undefined) {
      this.#notes = capNotes(this.#redact(options.notes));
      await writeAtomic(join(this.stateDir, "notes.md"), this.#notes);
    }
    const data = formatLines(entries);
    await appendLog(this.journalPath, entries, {
      beforeWrite: (d) => options.beforeWrite?.(this.journalPath, d),
    });
    appendSegments(this.#layout, data);
    this.#lines += entries.length;
    options.afterJournal?.();
    const fresh: ResultEntry[] = [];
    for (const entry of entries) {
      addEntry(log, entry, false);
      if (entry.type === "result") fresh.push(entry);
    }
    // A verify, attribute, split or import line changes what the renderings lead with.
    const redraw = entries.some((e) => e.type !== "result" && e.type !== "remeasure");
    await this.#commit(fresh, redraw);
  }

  /**
   * results.tsv, dashboard.md and progress.svg are drawn from the whole ledger, so drawing them
   * for every record would make an experiment's cost grow with the ledger. They are redrawn
   * when the ledger has grown by 1/64 since they were last drawn (every record up to 128 lines,
   * every 312th at 20,000) and with every other kind of line (a batch's end, verify, split...):
   * amortised, a constant cost per experiment. log.jsonl is exact in every record commit.
   */
  #renderings(force: boolean): Renderings {
    const last = this.#rendered;
    const due = this.#lines - (last?.lines ?? 0) >= Math.max(1, Math.floor(this.#lines / 64));
    if (last && !force && !due) return last.files;
    const files = renderRecordFiles(this.#log!, this.tag);
    this.#rendered = { files, lines: this.#lines };
    return files;
  }

  /** Commits the record (log, renderings, notes) and moves the branch and new refs at once. */
  async #commit(fresh: readonly ResultEntry[], redraw = false): Promise<void> {
    const log = this.#log!;
    const kept = fresh.findLast((r) => KEPT.has(r.status) && r.commit_full);
    const parent = kept?.commit_full ?? this.#head;
    if (!parent) throw new Error("record commit: no parent for the first record commit");
    const last = fresh.at(-1);
    const message = last
      ? `autoexp(${this.tag}): #${last.iteration} ${last.status}: ${last.description}`.slice(0, 200)
      : `autoexp(${this.tag}): record`;
    const files: Record<string, CommitFile> = {};
    const wanted = recordFiles(this.tag, log, this.#layout, this.#notes, this.#renderings(redraw));
    for (const [path, { content }] of Object.entries(wanted)) {
      const known = this.#blobs.get(path);
      const sha = known?.content === content ? known.sha : await this.repo.writeBlob(content);
      this.#blobs.set(path, { content, sha });
      files[path] = { sha };
    }
    const record = await this.repo.commitFiles(
      parent,
      files,
      join(this.stateDir, "record.index"),
      message,
    );
    const refs = fresh
      .filter((r) => r.diff && r.commit_full)
      .map((r) => ({ ref: r.diff!, sha: r.commit_full! }));
    try {
      await this.repo.updateRefs([
        { ref: this.branch, sha: record, old: this.#head ?? "" },
        ...refs,
      ]);
    } catch (cause) {
      // git says "... is at X but expected Y" when the ref moved; a lock file left behind is
      // another failure (explained where the batch ends).
      if (
        !(cause instanceof GitError) ||
        !/but expected|reference already exists/.test(cause.message)
      )
        throw cause;
      throw new AutoexpError(
        `branch autoexp/${this.tag} was moved by something other than this run (expected ${this.#head?.slice(0, 7) ?? "no branch"}): the record was not written to it. The journal ${this.journalPath} holds every experiment; inspect the branch, then run again`,
        { exitCode: 1, cause },
      );
    }
    this.#head = record;
  }

  /** The refs this record owns, as it wrote them: the branch and one ref per evaluated row. */
  expectedRefs(): Record<string, string> {
    const refs: Record<string, string> = {};
    if (this.#head) refs[this.branch] = this.#head;
    for (const r of this.#log?.results ?? []) {
      if (r.diff && r.commit_full) refs[r.diff] = r.commit_full;
    }
    return refs;
  }
}

function parseLedger(text: string, where: "branch" | "journal"): ParsedLog {
  try {
    return parseLog(text);
  } catch (cause) {
    throw new AutoexpError(
      `the ledger on the ${where} does not parse (${cause instanceof Error ? cause.message : String(cause)}); nothing was changed`,
      { exitCode: 1, cause },
    );
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** The number of characters of `text` that make up its first `bytes` UTF-8 bytes. */
function byteSafeSlice(text: string, bytes: number): number {
  return Buffer.from(text).subarray(0, bytes).toString().length;
}
