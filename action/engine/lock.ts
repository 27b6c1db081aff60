import { randomBytes } from "node:crypto";
import { link, readFile, rm, stat, writeFile } from "node:fs/promises";
import { processStartTime } from "../process/run-process.ts";
import { AutoexpError } from "../util/errors.ts";

export interface Lock {
  release(): Promise<void>;
}

/**
 * Takes the tag's lock atomically: the holder's pid and start time are written to a temporary
 * file first, which is then hard-linked into place (link fails if the lock exists), so the lock
 * never exists empty. A lock whose holder is gone (dead pid, or a pid reused by another process)
 * is stale and replaced; one that names no process autoexp could have written is refused.
 */
export async function takeLock(path: string, tag: string): Promise<Lock> {
  const me = `${process.pid} ${processStartTime(process.pid) ?? ""}\n`;
  // A name of its own per call: two opens in one process must not share (and delete) it.
  const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}`;
  await writeFile(temp, me);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(temp, path);
        return { release: () => rm(path, { force: true }) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const held = await readFile(path, "utf8").catch(() => null);
      if (held === null) continue; // released in between
      const [pidText, started] = held.trim().split(" ");
      const pid = Number(pidText);
      if (!Number.isSafeInteger(pid) || pid <= 1 || !started) {
        const age = await stat(path).then((s) => Math.round((Date.now() - s.mtimeMs) / 1000));
        throw new AutoexpError(
          `the lock ${path} does not name an autoexp process (${JSON.stringify(held.slice(0, 40))}, ${age}s old): autoexp never writes such a lock. If no autoexp runs tag ${tag}, delete that file and run again`,
          { exitCode: 1 },
        );
      }
      if (processStartTime(pid) === started) {
        throw new AutoexpError(
          `tag ${tag} is in use by another autoexp (pid ${pid}); wait for it or use another --tag`,
          { exitCode: 1 },
        );
      }
      await rm(path, { force: true }); // left by a killed run
    }
    throw new AutoexpError(`could not lock tag ${tag} (${path})`, { exitCode: 1 });
  } finally {
    await rm(temp, { force: true });
  }
}
