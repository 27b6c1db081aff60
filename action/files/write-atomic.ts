import { rename, writeFile } from "node:fs/promises";

/** Writes a file whole or not at all: a temporary file, then a rename over the target. */
export async function writeAtomic(path: string, content: string | Buffer): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, content);
  await rename(temp, path);
}
