import { open, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Past this size an eval log keeps its head and its tail, with a line saying what was cut. */
export const LOG_CAP_BYTES = 8 * 1024 * 1024;
const HEAD_BYTES = 1024 * 1024;

/**
 * Caps a finished run's log: the first MiB (how it started) and the last 7 MiB (where the
 * metrics and the error are) stay, the middle goes. Returns the bytes removed.
 */
export async function capLog(path: string, cap = LOG_CAP_BYTES): Promise<number> {
  const size = (await stat(path).catch(() => null))?.size ?? 0;
  if (size <= cap) return 0;
  const tailBytes = cap - HEAD_BYTES;
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    await handle.read(head, 0, HEAD_BYTES, 0);
    const tail = Buffer.alloc(tailBytes);
    await handle.read(tail, 0, tailBytes, size - tailBytes);
    const cut = size - cap;
    const marker = Buffer.from(
      `\n[autoexp: ${cut} bytes of output cut here to keep the log under ${cap} bytes]\n`,
    );
    await handle.close();
    await writeFile(path, Buffer.concat([head, marker, tail]));
    return cut;
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Removes the logs of experiments older than `keepFrom` (`<iteration>-...log`); baseline logs stay. */
export async function pruneLogs(dir: string, keepFrom: number): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const iteration = Number(/^(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(iteration) && iteration > 0 && iteration < keepFrom) {
      await rm(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}
