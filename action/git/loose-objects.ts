import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

/**
 * Writes an object as a loose object, exactly as git's `hash-object -w` does (zlib of
 * "<type> <size>\0<bytes>" at objects/<2>/<38>, written to a temporary file and renamed), and
 * returns its id. In process: a git process per object was most of a record's cost. Only for
 * SHA-1 repositories (the caller checks the object format).
 */
export function writeLooseObject(
  objectsDir: string,
  type: "blob" | "tree" | "commit",
  content: string | Buffer,
): string {
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  const object = Buffer.concat([Buffer.from(`${type} ${bytes.length}\0`), bytes]);
  const sha = createHash("sha1").update(object).digest("hex");
  const dir = join(objectsDir, sha.slice(0, 2));
  const path = join(dir, sha.slice(2));
  if (existsSync(path)) return sha;
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `tmp_obj_${process.pid}_${sha.slice(2, 10)}`);
  writeFileSync(temp, deflateSync(object, { level: 1 }), { mode: 0o444 });
  renameSync(temp, path);
  return sha;
}

/** A blob written as a loose object (see writeLooseObject). */
export function writeLooseBlob(objectsDir: string, content: string | Buffer): string {
  return writeLooseObject(objectsDir, "blob", content);
}
