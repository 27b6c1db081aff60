import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Git, withIdentity } from "../git/git.ts";
import { type ParsedLog, parseLog, readLog, repairLog } from "../ledger/log-jsonl.ts";
import { renderDashboard } from "../ledger/render-dashboard.ts";
import { renderResultsTsv } from "../ledger/results-tsv.ts";
import { viewFromLog } from "../ledger/summarize.ts";
import { KEPT, type ResultEntry } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import { killLeftoverGroup } from "../util/run-process.ts";

export const RECORD_FILES = ["log.jsonl", "results.tsv", "dashboard.md"] as const;

/** Where the record lives inside the tree: `.autoexp/<tag>`. */
export function recordDir(tag: string): string {
  return `.autoexp/${tag}`;
}

export interface OpenedWorkspace {
  workspace: Workspace;
  /** The ledger as recovered, or null for a tag that has no baseline yet. */
  log: ParsedLog | null;
  /** What recovery did, for the user to read. */
  recovered: string[];
}

/**
 * The git side of one tag: the branch `autoexp/<tag>`, a private detached worktree in which
 * experiments run (never the user's checkout), per-experiment refs, and the state folder.
 *
 * Crash safety rests on one ordering: the ledger line is fsynced first, then one atomic
 * update-ref moves the branch (and the experiment's ref) to a record commit holding that line.
 * So at any kill point the branch is a consistent record, and the worktree's log.jsonl holds
 * at most the rows the branch does not yet have; `open` finishes those and resets the worktree.
 */
export class Workspace {
  readonly tag: string;
  readonly branch: string;
  readonly repo: Git;
  readonly git: Git;
  readonly worktree: string;
  readonly stateDir: string;
  #head: string | null;
  #lock: string;

  private constructor(
    repo: Git,
    tag: string,
    stateDir: string,
    head: string | null,
    env: Record<string, string | undefined>,
  ) {
    this.repo = repo;
    this.tag = tag;
    this.branch = `refs/heads/autoexp/${tag}`;
    this.stateDir = stateDir;
    this.worktree = join(stateDir, "worktree");
    this.git = new Git(this.worktree, env);
    this.#head = head;
    this.#lock = join(stateDir, "lock");
  }

  /** The branch head: the last record commit, whose code is the incumbent. */
  get head(): string | null {
    return this.#head;
  }

  get logPath(): string {
    return join(this.worktree, recordDir(this.tag), "log.jsonl");
  }

  /** Opens (or prepares) the tag's workspace, takes its lock, and recovers from any crash. */
  static async open(options: {
    repoDir: string;
    tag: string;
    env?: Record<string, string | undefined>;
  }): Promise<OpenedWorkspace> {
    const probe = await findRepository(options.repoDir, options.env ?? process.env);
    const env = await withIdentity(probe, options.env ?? process.env);
    const repo = new Git(probe.dir, env);
    const common = (
      await repo.raw(["rev-parse", "--path-format=absolute", "--git-common-dir"])
    ).trim();
    const stateDir = join(common, "autoexp", options.tag);
    await mkdir(stateDir, { recursive: true });
    const branchHead = await repo.resolve(`refs/heads/autoexp/${options.tag}`);
    const ws = new Workspace(repo, options.tag, stateDir, branchHead, env);
    await ws.#takeLock();
    try {
      const result = await ws.#recover();
      return { workspace: ws, ...result };
    } catch (error) {
      await ws.close();
      throw error;
    }
  }

  async #takeLock(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(this.#lock, "wx");
        await handle.writeFile(String(process.pid));
        await handle.close();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const pid = Number(await readFile(this.#lock, "utf8").catch(() => ""));
        if (pid > 0 && pid !== process.pid && isAlive(pid)) {
          throw new AutoexpError(
            `tag ${this.tag} is in use by another autoexp (pid ${pid}); wait for it or use another --tag`,
            { exitCode: 1 },
          );
        }
        await rm(this.#lock, { force: true }); // left by a killed run
      }
    }
    throw new AutoexpError(`could not lock tag ${this.tag} (${this.#lock})`, { exitCode: 1 });
  }

  /** Releases the lock. */
  async close(): Promise<void> {
    await rm(this.#lock, { force: true });
  }

  async #recover(): Promise<{ log: ParsedLog | null; recovered: string[] }> {
    const recovered: string[] = [];
    if (killLeftoverGroup(join(this.stateDir, "eval.pid"))) {
      recovered.push("killed an eval left running by a run that was killed");
    }
    const dir = recordDir(this.tag);
    let committed: ParsedLog | null = null;
    if (this.#head) {
      const text = await this.repo.show(this.#head, `${dir}/log.jsonl`);
      if (text === null) {
        throw new AutoexpError(
          `branch autoexp/${this.tag} exists but has no ${dir}/log.jsonl, so it was not made by autoexp; nothing was changed. Use another --tag, or delete that branch if it is yours to delete`,
        );
      }
      committed = parseLog(text);
    }
    if (!existsSync(join(this.worktree, ".git"))) {
      await this.repo.raw(["worktree", "prune"]);
      await rm(this.worktree, { recursive: true, force: true });
      await this.repo.raw([
        "worktree",
        "add",
        "--detach",
        "--quiet",
        this.worktree,
        this.#head ?? "HEAD",
      ]);
      return { log: committed, recovered };
    }
    const local = await readLog(this.logPath);
    if (local?.torn) {
      await repairLog(this.logPath, local);
      recovered.push("dropped a ledger line cut off by a crash");
    }
    let log = committed;
    if (local && countEntries(local) > countEntries(committed)) {
      if (committed && !isPrefix(committed, local)) {
        throw new AutoexpError(
          `the ledger in ${this.worktree} and branch autoexp/${this.tag} disagree; nothing was changed. Inspect both, then remove the worktree with \`git worktree remove --force ${this.worktree}\``,
          { exitCode: 1 },
        );
      }
      const fresh = local.results.slice(committed?.results.length ?? 0);
      await this.finalize(local, fresh);
      recovered.push(`recorded ${fresh.length} experiment(s) that were logged before a crash`);
      log = local;
    }
    if (this.#head) await this.git.resetHard(this.#head);
    return { log, recovered };
  }

  /**
   * Commits the record (log.jsonl as on disk, results.tsv and dashboard.md rendered from it) and
   * moves the branch and the new rows' refs in one transaction. `fresh` are the rows not yet on
   * the branch; if one of them was kept, the record goes on top of its candidate commit.
   */
  async finalize(log: ParsedLog, fresh: readonly ResultEntry[]): Promise<string> {
    await this.writeRendered(log);
    const kept = fresh.findLast((r) => KEPT.has(r.status) && r.commit_full);
    const parent = kept?.commit_full ?? this.#head;
    if (!parent) throw new Error("finalize: no parent for the first record commit");
    const dir = recordDir(this.tag);
    const last = fresh.at(-1);
    const message = last
      ? `autoexp(${this.tag}): #${last.iteration} ${last.status}: ${last.description}`.slice(0, 200)
      : `autoexp(${this.tag}): record`;
    // notes.md exists once an agent has written to it.
    const files = existsSync(join(this.worktree, dir, "notes.md"))
      ? [...RECORD_FILES, "notes.md"]
      : RECORD_FILES;
    const record = await this.git.commitFilesOnto(
      parent,
      files.map((f) => `${dir}/${f}`),
      join(this.stateDir, "record.index"),
      message,
    );
    const refs = fresh
      .filter((r) => r.diff && r.commit_full)
      .map((r) => ({ ref: r.diff!, sha: r.commit_full! }));
    await this.git.updateRefs([{ ref: this.branch, sha: record, old: this.#head ?? "" }, ...refs]);
    this.#head = record;
    return record;
  }

  /** Writes results.tsv and dashboard.md from the log, each atomically (temp file + rename). */
  async writeRendered(log: ParsedLog): Promise<void> {
    const dir = join(this.worktree, recordDir(this.tag));
    await mkdir(dir, { recursive: true });
    const files = renderRecordFiles(log);
    await writeAtomic(join(dir, "results.tsv"), files.results);
    await writeAtomic(join(dir, "dashboard.md"), files.dashboard);
  }
}

/** results.tsv and dashboard.md as the ledger says. Pure. */
export function renderRecordFiles(log: ParsedLog): { results: string; dashboard: string } {
  const metrics = log.config ? [log.config.metric, ...Object.keys(log.config.guards)] : ["score"];
  const view = viewFromLog(log);
  const scores = new Map(view.rows.map((r) => [r.iteration, r.score]));
  return {
    results: renderResultsTsv(metrics, log.results, scores),
    dashboard: renderDashboard(view),
  };
}

/** The repository containing `dir`, at its top level; a clear error when there is none. */
export async function findRepository(
  dir: string,
  env: Record<string, string | undefined>,
): Promise<Git> {
  const top = await new Git(dir, env).raw(["rev-parse", "--show-toplevel"]).catch((cause) => {
    throw new AutoexpError(
      `${dir} is not inside a git repository: run \`git init\` and commit your files first`,
      {
        cause,
      },
    );
  });
  return new Git(top.trim(), env);
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, content);
  await rename(temp, path);
}

function countEntries(log: ParsedLog | null): number {
  return log
    ? log.results.length + log.batches.length + log.remeasures.length + (log.config ? 1 : 0)
    : 0;
}

function isPrefix(a: ParsedLog, b: ParsedLog): boolean {
  return a.results.every(
    (r, i) => b.results[i]?.iteration === r.iteration && b.results[i]?.status === r.status,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
