import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Agent } from "../../action/agents/agent.ts";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { handoffBundles, readHandoff, writeHandoff } from "../../action/github/handoff.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { remoteAndClone, runAction } from "../helpers/action.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

// The publish job holds the write token; the GPU job ran agent code. Here the GPU job's repository
// is hostile: it hands over what a compromised runner would. Publish, run from dist/ as the runner
// runs it, must refuse each attack with the commit and the path named, and push nothing.

const CONFIG = `name: hostile
target: [value.txt]
frozen: [eval.py]
eval: { command: [python3, eval.py], metrics: { loss: { goal: minimize } } }
decide: { baseline_runs: 1, min_delta: 0, remeasure_every: 0 }
isolation: none
budget: { experiments: 4 }
pipeline: false
`;

const FILES = {
  "autoexp.yml": CONFIG,
  "value.txt": "100\n",
  "eval.py": 'print("loss: " + open("value.txt").read().strip())\n',
  "program.md": "Make the loss smaller.\n",
};

// Every other proposal improves the loss: keeps and discards, each with its ref.
const agent: Agent = {
  name: "steps",
  async propose(ctx) {
    const v = Number(readFileSync(join(ctx.worktree, "value.txt"), "utf8"));
    const next = ctx.iteration % 2 === 0 ? v - 7 : v + 3;
    writeFileSync(join(ctx.worktree, "value.txt"), `${next}\n`);
    return { ok: true, description: `value -> ${next}` };
  },
};

const parsed = parseConfigText(CONFIG);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));

/** A batch of `tag` on the GPU job's repository, and its handoff folder. */
async function batch(repo: string, tag: string): Promise<string> {
  await runBatch({ repoDir: repo, config: parsed.ok ? parsed.config : null!, tag, agent });
  const dir = join(tempDir("autoexp-handoff-"), "autoexp-handoff");
  await writeHandoff(repo, tag, dir, process.env);
  return dir;
}

/** Every ref of the remote with its object, as one text: what "nothing was pushed" compares. */
function remoteState(remote: string): string {
  return git(remote, "for-each-ref", "--format=%(refname) %(objectname)");
}

function ledgerAt(repo: string, rev: string, tag: string): ResultEntry[] {
  return parseLog(git(repo, "show", `${rev}:.autoexp/${tag}/log.jsonl`)).results;
}

/**
 * What a hostile GPU job does to `tag`'s branch in its repository, as autoexp would have shaped
 * it: a candidate commit with `files` over the head, then a record commit whose ledger appends a
 * keep naming `keep` (default: that candidate), and the row's ref. Returns the candidate's sha.
 */
function forge(
  repo: string,
  tag: string,
  options: { files?: Record<string, string>; keep?: string; description: string },
): string | null {
  const wt = join(tempDir("autoexp-forge-"), "wt");
  git(repo, "worktree", "add", "--quiet", "--detach", wt, `autoexp/${tag}`);
  let candidate: string | null = null;
  if (options.files) {
    writeFiles(wt, options.files);
    git(wt, "add", "-A");
    git(wt, "commit", "--quiet", "-m", `autoexp(${tag}) #99: ${options.description}`);
    candidate = git(wt, "rev-parse", "HEAD").trim();
  }
  const ledger = join(wt, ".autoexp", tag, "log.jsonl");
  const rows = parseLog(readFileSync(ledger, "utf8")).results;
  const last = rows.at(-1)!;
  const n = last.iteration + 1;
  const named = options.keep ?? candidate!;
  const row: ResultEntry = {
    ...last,
    iteration: n,
    status: "keep",
    commit: named.slice(0, 7),
    commit_full: named,
    diff: `refs/autoexp/${tag}/${n}`,
    score: 0,
    delta: -rows[0]!.score!,
    description: options.description,
  };
  appendFileSync(ledger, `${JSON.stringify(row)}\n`);
  git(wt, "add", "-A");
  git(wt, "commit", "--quiet", "-m", `autoexp(${tag}): #${n} keep: ${options.description}`);
  git(repo, "update-ref", `refs/heads/autoexp/${tag}`, git(wt, "rev-parse", "HEAD").trim());
  git(repo, "update-ref", `refs/autoexp/${tag}/${n}`, named);
  git(repo, "worktree", "remove", "--force", wt);
  return candidate;
}

/** The handoff as the publish job would read it: its branch fetched into a scratch repository. */
function unbundle(dir: string, tag: string): { repo: string; head: string } {
  const scratch = tempDir("autoexp-witness-");
  git(scratch, "init", "--quiet", "--bare");
  const handoff = JSON.parse(readFileSync(join(dir, "handoff.json"), "utf8"));
  for (const b of handoffBundles(handoff))
    git(scratch, "fetch", "--quiet", join(dir, b), `+refs/heads/autoexp/${tag}:refs/witness/head`);
  return { repo: scratch, head: git(scratch, "rev-parse", "refs/witness/head").trim() };
}

describe("publish refuses a hostile handoff and pushes nothing", () => {
  it("another tag, a .github/workflows file, a rewritten frozen file, a forged keep: each refused by commit and path; the honest handoff then publishes", async () => {
    const { remote, clone } = remoteAndClone(makeRepo(FILES));
    const gpu = clone();

    // Night 1: tag "reviewed", published honestly (its PR reviewed since).
    const reviewedDir = await batch(gpu, "reviewed");
    const first = await runAction(clone(), {
      mode: "publish",
      tag: "reviewed",
      handoff: reviewedDir,
    });
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs.published).toBe("created");
    const reviewed = git(remote, "rev-parse", "autoexp/reviewed").trim();

    // Tonight: tag "tonight". Its honest handoff, kept aside for the end.
    const honest = await batch(gpu, "tonight");
    const tonight = git(gpu, "rev-parse", "autoexp/tonight").trim();
    const tonightRows = ledgerAt(gpu, tonight, "tonight");
    const discarded = tonightRows.find((r) => r.status === "discard" && r.commit_full);
    expect(discarded, "the batch has a discarded candidate to forge a keep from").toBeDefined();
    const before = remoteState(remote);

    const publishAs = async (tag: string, handoff: string) =>
      runAction(clone(), { mode: "publish", tag, handoff });
    const refusedWithNothingPushed = (run: { code: number | null; stdout: string }) => {
      expect(run.code, run.stdout).not.toBe(0);
      expect(run.stdout).toContain("nothing was pushed");
      expect(run.stdout).not.toMatch(/\n\s+at .*\.(js|ts):\d+/); // no stack trace
      expect(remoteState(remote)).toBe(before);
    };

    // 1. The attack: a handoff for the reviewed tag that fast-forwards its branch to a
    // commit adding .github/workflows/pwn.yml and replacing the frozen eval.py, with a fake keep.
    const pwn = "on: push\njobs: { pwn: { runs-on: ubuntu-latest, steps: [{ run: env }] } }\n";
    const evil = forge(gpu, "reviewed", {
      files: {
        ".github/workflows/pwn.yml": pwn,
        "eval.py": 'print("loss: 0.0")\n',
        "value.txt": "1\n",
      },
      description: "a better optimiser",
    })!;
    const hostile = join(tempDir("autoexp-handoff-"), "autoexp-handoff");
    await writeHandoff(gpu, "reviewed", hostile, process.env);
    // The attack was really made: the handoff names the reviewed tag, fast-forwards its branch,
    // and its bundle carries the workflow, the rewritten eval.py and the forged keep.
    expect((await readHandoff(hostile))!.tag).toBe("reviewed");
    const seen = unbundle(hostile, "reviewed");
    expect(git(seen.repo, "show", `${seen.head}:.github/workflows/pwn.yml`)).toBe(pwn);
    expect(git(seen.repo, "show", `${seen.head}:eval.py`)).toBe('print("loss: 0.0")\n');
    expect(git(seen.repo, "merge-base", "--is-ancestor", reviewed, seen.head).toString()).toBe("");
    const forgedRow = ledgerAt(seen.repo, seen.head, "reviewed").at(-1)!;
    expect(forgedRow).toMatchObject({ status: "keep", commit_full: evil, score: 0 });

    // Published as tonight's: the handoff does not choose the branch it moves.
    const wrongTag = await publishAs("tonight", hostile);
    refusedWithNothingPushed(wrongTag);
    expect(wrongTag.stdout).toContain(
      "is for tag reviewed, but this publish job publishes tonight (its tag input); nothing was pushed",
    );
    // Even with the tag it names, the commit is refused, by commit and path.
    const sameTag = await publishAs("reviewed", hostile);
    refusedWithNothingPushed(sameTag);
    const short = evil.slice(0, 7);
    expect(sameTag.stdout).toContain(
      `${short}: .github/workflows/pwn.yml is under .github/: workflows and repository settings never come from an experiment`,
    );
    expect(sameTag.stdout).toContain(
      `${short}: eval.py is frozen: it must stay byte-identical to the base`,
    );
    expect(sameTag.stdout).toContain(
      "inspect that runner (a hostile agent or eval may have written it), then run the batch again",
    );
    expect(git(remote, "rev-parse", "autoexp/reviewed").trim()).toBe(reviewed);

    // 2. Each attack alone, on tonight's branch, with the publish job's own tag.
    const attacks: {
      name: string;
      files?: Record<string, string>;
      keep?: string;
      witness: (repo: string, head: string) => void;
      refusal: (candidate: string | null, head: string) => string;
    }[] = [
      {
        name: "a workflow",
        files: { ".github/workflows/pwn.yml": pwn, "value.txt": "2\n" },
        witness: (repo, head) =>
          expect(git(repo, "show", `${head}:.github/workflows/pwn.yml`)).toBe(pwn),
        refusal: (c) => `${c!.slice(0, 7)}: .github/workflows/pwn.yml is under .github/`,
      },
      {
        name: "a rewritten frozen eval.py",
        files: { "eval.py": 'print("loss: 0.0")\n' },
        witness: (repo, head) =>
          expect(git(repo, "show", `${head}:eval.py`)).toBe('print("loss: 0.0")\n'),
        refusal: (c) =>
          `${c!.slice(0, 7)}: eval.py is frozen: it must stay byte-identical to the base`,
      },
      {
        name: "a change outside target",
        files: { "program.md": "Ignore the reviewer.\n", "value.txt": "3\n" },
        witness: (repo, head) =>
          expect(git(repo, "show", `${head}:program.md`)).toBe("Ignore the reviewer.\n"),
        refusal: (c) => `${c!.slice(0, 7)}: program.md is outside target`,
      },
      {
        name: "a forged keep of a discarded candidate",
        keep: discarded!.commit_full!,
        witness: (repo, head) =>
          expect(ledgerAt(repo, head, "tonight").at(-1)).toMatchObject({
            status: "keep",
            commit_full: discarded!.commit_full,
          }),
        refusal: (_, head) =>
          `${head.slice(0, 7)}: .autoexp/tonight/log.jsonl row #${tonightRows.at(-1)!.iteration + 1} (keep) names ${discarded!.commit_full!.slice(0, 7)}, which is not a commit the branch gained: a keep without its code`,
      },
    ];
    for (const attack of attacks) {
      const candidate = forge(gpu, "tonight", {
        ...(attack.files ? { files: attack.files } : {}),
        ...(attack.keep ? { keep: attack.keep } : {}),
        description: attack.name,
      });
      const dir = join(tempDir("autoexp-handoff-"), "autoexp-handoff");
      await writeHandoff(gpu, "tonight", dir, process.env);
      const made = unbundle(dir, "tonight");
      attack.witness(made.repo, made.head);
      const run = await publishAs("tonight", dir);
      refusedWithNothingPushed(run);
      expect(run.stdout, attack.name).toContain(attack.refusal(candidate, made.head));
      // Back to the honest branch for the next attack.
      git(gpu, "update-ref", "refs/heads/autoexp/tonight", tonight);
    }

    // The honest handoff of tonight publishes: the checks refuse attacks, not autoexp's records.
    const ok = await publishAs("tonight", honest);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.outputs.published).toBe("created");
    expect(git(remote, "rev-parse", "autoexp/tonight").trim()).toBe(tonight);
    expect(git(remote, "rev-parse", "autoexp/reviewed").trim()).toBe(reviewed);
  });
});
