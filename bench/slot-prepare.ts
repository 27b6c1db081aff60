// bench/slot-prepare: what making a slot hold a commit's files costs before each eval run, the
// files' times set to one value (blind runs) included, for repositories of 100 to 10,000 files.
// The case that repeats all night: the same commit again (a confirmation, the incumbent's side of
// a pair), after a run that read every file; then a commit that changes one file.
//   node bench/slot-prepare.ts [--files 100,1000,10000] [--rounds 20]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TreeDir } from "../action/engine/materialise.ts";
import { Git } from "../action/git/git.ts";

const { values: args } = parseArgs({
  options: {
    files: { type: "string", default: "100,1000,10000" },
    rounds: { type: "string", default: "20" },
  },
});
const rounds = Number(args.rounds);
const git = (cwd: string, ...argv: string[]) =>
  execFileSync("git", argv, { cwd, encoding: "utf8", maxBuffer: 1 << 30 });

console.log("files   same commit again (ms, median)   one file changed (ms, median)");
for (const n of args.files.split(",").map(Number)) {
  const repo = mkdtempSync(join(tmpdir(), "autoexp-bench-prepare-"));
  git(repo, "init", "-q");
  for (let i = 0; i < n; i++) {
    const dir = join(repo, `d${i % 50}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.py`), `x = ${i}\n`.repeat(20));
  }
  git(repo, "add", "-A");
  git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "a");
  const a = git(repo, "rev-parse", "HEAD").trim();
  writeFileSync(join(repo, "d0", "f0.py"), "x = -1\n");
  git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qam", "b");
  const b = git(repo, "rev-parse", "HEAD").trim();
  const tree = new TreeDir(join(mkdtempSync(join(tmpdir(), "autoexp-bench-slot-")), "tree"));
  const repoGit = new Git(repo);
  await tree.materialise(repoGit, a);
  const readAll = () => {
    for (let i = 0; i < n; i++) readFileSync(join(tree.dir, `d${i % 50}`, `f${i}.py`));
  };
  const median = (xs: number[]) => xs.sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
  const same: number[] = [];
  const changed: number[] = [];
  for (let r = 0; r < rounds; r++) {
    readAll(); // a run that read every file (their access times moved)
    let t = performance.now();
    await tree.materialise(repoGit, a);
    same.push(performance.now() - t);
    t = performance.now();
    await tree.materialise(repoGit, r % 2 === 0 ? b : a);
    changed.push(performance.now() - t);
  }
  console.log(
    `${String(n).padEnd(7)} ${median(same).toFixed(1).padStart(30)}   ${median(changed).toFixed(1).padStart(28)}`,
  );
  rmSync(repo, { recursive: true, force: true });
  rmSync(tree.dir, { recursive: true, force: true });
}
