import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { killLeftoverGroup } from "../process/run-process.ts";

/**
 * Kills the process groups named by pid files that a killed run left in the tag's folders: only
 * those signed with autoexp's key (see run-process.ts killLeftoverGroup).
 */
export async function killLeftovers(stateDir: string, key: Buffer): Promise<boolean> {
  let killed = false;
  for (const sub of ["slots", "agents", "rebase"]) {
    const root = join(stateDir, sub);
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      for (const file of ["eval.pid", "agent.pid"]) {
        if (killLeftoverGroup(join(root, name, file), key)) killed = true;
      }
    }
  }
  return killed;
}
