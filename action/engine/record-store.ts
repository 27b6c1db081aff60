import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeAtomic } from "../files/write-atomic.ts";
import { type CommitFile, type Git, GitError, withIdentity } from "../git/git.ts";
import { capNotes } from "../ledger/cap-notes.ts";
import { addEntry, emptyLog, formatLines, type ParsedLog, parseLog } from "../ledger/log-jsonl.ts";
import {
  type Renderings,
  recordDir,
  recordFiles,
  renderRecordFiles,
} from "../ledger/record-files.ts";
import { appendSegments, type Segmented, segment } from "../ledger/segments.ts";
import { KEPT, type LedgerEntry, type ResultEntry } from "../ledger/types.ts";
import { signPidFiles } from "../process/run-process.ts";
import { redactDeep } from "../process/secrets.ts";
import { formatBytes } from "../util/bytes.ts";
import { AutoexpError } from "../util/errors.ts";
import { inertTerminal } from "../util/terminal-inert.ts";
import { type Adoption, checkAdopted } from "./adopt.ts";
import { discardScratch } from "./discard-scratch.ts";
import { findRepository } from "./find-repository.ts";
import {
  appendJournal,
  digest,
  entryItems,
  type JournalItem,
  ledgerText,
  readJournal,
  signItems,
  writeJournal,
} from "./journal.ts";
import { killLeftovers } from "./kill-leftovers.ts";
import { type Lock, takeLock } from "./lock.ts";
import { showLedger } from "./read-ledger.ts";
import { stateKey } from "./state-key.ts";

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
 *
 * Trust rests on the journal's signatures (journal.ts, a key outside the repository): every line
 * autoexp writes is signed, and so is the record commit it is about to move the branch to. `open`
 * goes on only from a branch head the journal names (or the one before it, when a run died
 * between the two); a branch moved by anything else, a journal from an older autoexp or none at
 * all is refused unless adopted (`adopt`), which checks every kept commit first (adopt.ts).
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
  /** The signing key (state-key.ts) and the journal's last signature, which the next line chains on. */
  #key: Buffer;
  #last = "";
  /** The matrix line this batch is (ResultEntry.line): stamped on every row appended. */
  #line: ResultEntry["line"] | undefined;

  private constructor(
    repo: Git,
    tag: string,
    stateDir: string,
    head: string | null,
    lock: Lock,
    key: Buffer,
  ) {
    this.repo = repo;
    this.tag = tag;
    this.branch = `refs/heads/autoexp/${tag}`;
    this.stateDir = stateDir;
    this.#head = head;
    this.#lock = lock;
    this.#key = key;
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

  /**
   * Opens the tag's record, takes its lock, kills what a killed run left, and recovers. `adopt`:
   * permission to go on from a branch the journal does not vouch for, after checking it.
   */
  static async open(options: {
    repoDir: string;
    tag: string;
    env: Record<string, string | undefined>;
    redact?: (text: string) => string;
    adopt?: Adoption | undefined;
  }): Promise<{ store: RecordStore; recovered: string[] }> {
    const probe = await findRepository(options.repoDir, options.env);
    const repo = probe.withEnv(await withIdentity(probe, options.env));
    const stateDir = join(await repo.commonDir(), "autoexp", options.tag);
    const key = await stateKey(options.env);
    signPidFiles(key);
    await mkdir(stateDir, { recursive: true });
    const lock = await takeLock(join(stateDir, "lock"), options.tag);
    const head = await repo.resolve(`refs/heads/autoexp/${options.tag}`);
    const store = new RecordStore(repo, options.tag, stateDir, head, lock, key);
    if (options.redact) store.#redact = options.redact;
    try {
      const recovered = await store.#recover(options.adopt);
      return { store, recovered };
    } catch (error) {
      await store[Symbol.asyncDispose]();
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#lock.release();
  }

  async #recover(adopt: Adoption | undefined): Promise<string[]> {
    const recovered: string[] = [];
    if (await killLeftovers(this.stateDir, this.#key)) {
      recovered.push("killed an eval or agent left running by a run that was killed");
    }
    const freed = await discardScratch(this.stateDir);
    if (freed >= 100 * 1024 * 1024)
      recovered.push(`discarded ${formatBytes(freed)} of checkouts and slots left by the last run`);
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
    const journal = await readJournal(this.journalPath, this.#key, this.tag);
    if (journal.kind === "signed") {
      const plan = planRecovery(journal.items, this.#head);
      if (plan) {
        if (journal.torn) recovered.push("dropped a ledger line cut off by a crash");
        const resumed = await this.#resume(journal.items, plan, committedText, journal.torn);
        return [...recovered, ...resumed];
      }
    }
    const branch = `branch autoexp/${this.tag}`;
    const found = this.#head?.slice(0, 7) ?? "nothing (the branch is gone)";
    const why =
      journal.kind === "signed"
        ? `${branch} is at ${found}, but autoexp last wrote ${lastHead(journal.items)?.slice(0, 7) ?? "nothing"} there (journal ${this.journalPath}): something other than autoexp moved it`
        : journal.kind === "legacy"
          ? `the journal ${this.journalPath} was written by an older autoexp and is not signed, so autoexp cannot tell whether ${branch} (at ${found}) is what it wrote`
          : `there is no journal for tag ${this.tag} here (${this.journalPath}: a fresh clone or runner), so autoexp cannot tell whether ${branch} (at ${found}) is what it wrote`;
    if (!this.#head) {
      if (journal.kind === "signed") {
        const last = lastHead(journal.items)!;
        throw new AutoexpError(
          `${why}; nothing was changed. Restore it with git update-ref refs/heads/autoexp/${this.tag} ${last}, or start a new --tag`,
          { exitCode: 1 },
        );
      }
      // An unsigned journal without a branch: nothing it says can be checked, so it is set aside.
      if (journal.kind === "legacy") {
        await this.#setAside();
        recovered.push(
          `set aside an unsigned journal with no branch (${this.journalPath}.replaced-*): the tag starts afresh`,
        );
      }
      return recovered;
    }
    if (!adopt || (adopt.head !== undefined && adopt.head !== this.#head)) {
      throw new AutoexpError(
        `${why}${journal.kind === "signed" ? ", so its record cannot be trusted" : ""}; nothing was changed. Inspect it (git log autoexp/${this.tag}); then either reset it to what autoexp wrote${journal.kind === "signed" ? ` (git update-ref refs/heads/autoexp/${this.tag} ${lastHead(journal.items)})` : ""}, or adopt it with autoexp run --adopt: every kept commit on it is checked first (built on the incumbent, only target paths changed, frozen files byte-identical)`,
        { exitCode: 1 },
      );
    }
    const committed = parseLedger(committedText!, "branch");
    const checked = await checkAdopted(this.repo, this.tag, this.#head, committed, adopt);
    if (journal.kind !== "missing") await this.#setAside();
    this.#setText(committedText!);
    this.#log = committed;
    this.#last = await writeJournal(this.journalPath, this.#key, this.tag, [
      ...entryItems(committedText!),
      { type: "head", sha: this.#head },
    ]);
    recovered.push(
      `adopted ${branch} at ${found} (${journal.kind === "signed" ? "moved by something other than autoexp" : journal.kind === "legacy" ? "its journal was unsigned" : "no journal here"}): ${checked} kept commit(s) checked, each built on the incumbent, changing only target paths, frozen files unchanged${journal.kind === "missing" ? "" : `; the old journal is kept as ${this.journalPath}.replaced-*`}`,
    );
    return recovered;
  }

  /**
   * Goes on from a branch head the journal vouches for: the journal's entries after it (logged
   * before a crash, not yet on the branch) are committed, after checking that the branch holds
   * exactly the ledger the journal signed up to that head.
   */
  async #resume(
    items: readonly JournalItem[],
    plan: { at: number; end: number },
    committedText: string | null,
    torn: boolean,
  ): Promise<string[]> {
    const signed = ledgerText(items.slice(0, plan.at));
    if (signed !== (committedText ?? "")) {
      throw new AutoexpError(
        `the journal ${this.journalPath} and branch autoexp/${this.tag} disagree: the branch's commit ${this.#head?.slice(0, 7)} does not hold the ledger autoexp signed for it; nothing was changed. Inspect both; to go on from the branch, run autoexp run --adopt`,
        { exitCode: 1 },
      );
    }
    const kept = items.slice(0, plan.end);
    const pending = items.slice(plan.at, plan.end);
    const text = ledgerText(kept);
    // A journal cut short (a torn line, a head never reached) is rewritten to what it vouches for.
    this.#last =
      kept.length < items.length || torn
        ? await writeJournal(this.journalPath, this.#key, this.tag, kept)
        : signItems(this.#key, this.tag, "", kept).last;
    const log = text === "" ? null : parseLedger(text, "journal");
    this.#setText(text);
    this.#log = log;
    if (!pending.some((i) => i.type === "entry")) return [];
    const notes = pending.findLast((i) => i.type === "notes");
    const recovered: string[] = [];
    if (notes?.type === "notes") {
      const file = await readFile(join(this.stateDir, "notes.md"), "utf8").catch(() => null);
      if (file !== null && digest(file) === notes.digest) this.#notes = file;
      else recovered.push("ignored notes.md in the tag's folder: it is not what autoexp wrote");
    }
    const committed = committedText === null ? null : parseLog(committedText);
    const fresh = log!.results.slice(committed?.results.length ?? 0);
    await this.#commit(fresh);
    recovered.push(`recorded ${fresh.length} experiment(s) that were logged before a crash`);
    return recovered;
  }

  /** Moves the journal aside (never deleted: it may be the only copy of something). */
  async #setAside(): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    await rename(this.journalPath, `${this.journalPath}.replaced-${stamp}`).catch(() => {});
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

  /** From here on, every row appended says it was written by this matrix line. */
  writeAsLine(line: NonNullable<ResultEntry["line"]>): void {
    this.#line = line;
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
    given: readonly LedgerEntry[],
    options: { notes?: string; beforeWrite?: BeforeWrite; afterJournal?: () => void } = {},
  ): Promise<void> {
    // Every row, whoever made it (the loop, verify, attribute, a re-measure), holds no key in
    // any form: eval output and agent text reach the record only through here.
    const line = this.#line;
    const entries = given.map((e) =>
      redactDeep(e.type === "result" && line && !e.line ? { ...e, line } : e, this.#redact),
    );
    const log = this.#log;
    if (!log) throw new Error("RecordStore.append before start");
    const items: JournalItem[] = [];
    if (options.notes !== undefined) {
      // The agent's own text: nothing a terminal acts on is committed (`cat notes.md`).
      this.#notes = capNotes(inertTerminal(this.#redact(options.notes)));
      await writeAtomic(join(this.stateDir, "notes.md"), this.#notes);
      items.push({ type: "notes", digest: digest(this.#notes) });
    }
    const data = formatLines(entries);
    items.push(...entryItems(data));
    const signed = signItems(this.#key, this.tag, this.#last, items);
    await appendJournal(this.journalPath, signed.text, (d) =>
      options.beforeWrite?.(this.journalPath, d),
    );
    this.#last = signed.last;
    appendSegments(this.#layout, data);
    this.#lines += entries.length;
    options.afterJournal?.();
    const fresh: ResultEntry[] = [];
    for (const entry of entries) {
      addEntry(log, entry, false);
      if (entry.type === "result") fresh.push(entry);
    }
    // A verify, attribute, split or import line changes what the renderings lead with (what a
    // run wrote into a cache is drawn with the next redraw, as rows are).
    const redraw = entries.some(
      (e) => e.type !== "result" && e.type !== "remeasure" && e.type !== "cache-write",
    );
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
    // The head is signed before the branch moves: the next open goes on only from a head it names.
    const marker = signItems(this.#key, this.tag, this.#last, [{ type: "head", sha: record }]);
    await appendJournal(this.journalPath, marker.text);
    this.#last = marker.last;
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

/**
 * Where a resume goes on from, given the signed journal and the branch head: the head the
 * journal last signed (its later entries pending), or, when a run died after signing a head and
 * before moving the branch to it, the head signed before (the entries between pending, the
 * unreached head dropped). `at`: items up to here are on the branch; `end`: items kept. Null:
 * the branch is at neither, so something else moved it.
 */
export function planRecovery(
  items: readonly JournalItem[],
  head: string | null,
): { at: number; end: number } | null {
  const heads = items.flatMap((item, i) => (item.type === "head" ? [i] : []));
  const shaAt = (i: number | undefined) => {
    const item = i === undefined ? undefined : items[i];
    return item?.type === "head" ? item.sha : null;
  };
  const last = heads.at(-1);
  if (shaAt(last) === head) return { at: last === undefined ? 0 : last + 1, end: items.length };
  if (last !== undefined && last === items.length - 1) {
    const before = heads.at(-2);
    if (shaAt(before) === head) return { at: before === undefined ? 0 : before + 1, end: last };
  }
  return null;
}

/** The last head the journal signed. */
function lastHead(items: readonly JournalItem[]): string | null {
  const item = items.findLast((i) => i.type === "head");
  return item?.type === "head" ? item.sha : null;
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
