import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mergeFile } from "../git/commands/trees.ts";
import type { AgentCheckout } from "./agent-checkout.ts";
import type { Candidate, EngineContext } from "./experiment.ts";
import { mergeLines } from "./merge-lines.ts";

/**
 * Writes `origin`'s changes into `checkout` (prepared at the code they are re-applied onto), each
 * file merged three-way: origin's parent's version, origin's, the checkout's. Returns the paths
 * that no longer merge (their files are left as they were). Deterministic: contents only.
 */
export async function reapply(
  ctx: EngineContext,
  origin: NonNullable<Candidate["origin"]>,
  checkout: AgentCheckout,
): Promise<string[]> {
  const repo = ctx.store.repo;
  const before = new Map((await repo.lsTree(origin.parent.commit)).map((e) => [e.path, e]));
  const ours = origin.changes.filter(
    (c) => ctx.isTarget(c.path) && (c.file === null || c.file.type === "file"),
  );
  const baseBlobs = await repo.readBlobs(ours.flatMap((c) => before.get(c.path)?.sha ?? []));
  const temp = join(checkout.root, "merge");
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  const conflicts: string[] = [];
  for (const change of ours) {
    const was = before.get(change.path);
    const base = was ? (baseBlobs.get(was.sha) ?? null) : null;
    const theirs = await checkout.read(change.path);
    const mine = change.file?.type === "file" ? change.file.content : null;
    const target = join(checkout.dir, change.path);
    if (same(theirs, base)) {
      if (mine === null) await rm(target, { force: true });
      else {
        await mkdir(join(target, ".."), { recursive: true });
        await writeFile(target, mine);
      }
    } else if (same(theirs, mine)) {
      // The incumbent already holds this change.
    } else if (mine === null || base === null || theirs === null) {
      conflicts.push(change.path);
    } else if (mergeLines(base.toString(), mine.toString(), theirs.toString()) !== null) {
      await writeFile(target, mergeLines(base.toString(), mine.toString(), theirs.toString())!);
    } else {
      const files = ["ours", "base", "theirs"].map((n) => join(temp, n));
      await Promise.all([
        writeFile(files[0]!, mine),
        writeFile(files[1]!, base),
        writeFile(files[2]!, theirs),
      ]);
      const merged = await repo.run(mergeFile(files[0]!, files[1]!, files[2]!));
      if (merged === null) conflicts.push(change.path);
      else await writeFile(target, merged);
    }
  }
  await rm(temp, { recursive: true, force: true });
  return conflicts;
}

function same(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}
