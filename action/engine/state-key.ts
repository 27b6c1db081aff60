import { createHmac, randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { AutoexpError } from "../util/errors.ts";

/**
 * autoexp's signing key: 32 random bytes in a per-user state folder outside every repository
 * ($XDG_STATE_HOME/autoexp/key, else ~/.local/state/autoexp/key), 0600 in a 0700 folder. It
 * signs the tag's journal and pid files (see journal.ts); it is never put in an environment
 * variable or a file a sandboxed agent or eval can see (their HOME is a private one). Made on
 * first use, atomically: two runs starting at once end up with the same key.
 */
export async function stateKey(env: Record<string, string | undefined>): Promise<Buffer> {
  const path = keyPath(env);
  const existing = await readKey(path);
  if (existing) return existing;
  await mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await writeFile(temp, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  // link() fails when the key exists: whoever made it first wins, the loser reads theirs.
  await link(temp, path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  await rm(temp, { force: true });
  const key = await readKey(path);
  if (!key)
    throw new AutoexpError(`cannot read autoexp's key ${path} just written; nothing was changed`);
  return key;
}

/** Where the key lives for this environment. */
export function keyPath(env: Record<string, string | undefined>): string {
  const state =
    env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME)
      ? env.XDG_STATE_HOME
      : join(env.HOME || homedir(), ".local", "state");
  return join(state, "autoexp", "key");
}

async function readKey(path: string): Promise<Buffer | null> {
  const info = await stat(path).catch(() => null);
  if (!info) return null;
  if ((info.mode & 0o077) !== 0 || (process.getuid && info.uid !== process.getuid())) {
    throw new AutoexpError(
      `autoexp's key ${path} can be read or written by other users (mode ${(info.mode & 0o777).toString(8)}); nothing was changed. Run chmod 600 ${path} if it is yours, else delete it (tags signed with it will then need autoexp run --adopt)`,
    );
  }
  const text = (await readFile(path, "utf8")).trim();
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new AutoexpError(
      `autoexp's key ${path} is not 64 hex digits; nothing was changed. Delete it to make a new one (tags signed with it will then need autoexp run --adopt)`,
    );
  }
  return Buffer.from(text, "hex");
}

/** HMAC-SHA256 of the parts, joined by newlines, as hex. */
export function mac(key: Buffer, ...parts: string[]): string {
  return createHmac("sha256", key).update(parts.join("\n")).digest("hex");
}
