import { type BigIntStats, lstatSync, readFileSync, realpathSync, type Stats } from "node:fs";

// File-system reads that answer null where nothing is (or it cannot be read), for checks that
// judge what a path holds without failing on it.

/** Where a path really leads (links resolved), or null when nothing is there. */
export function realPathQuiet(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** lstat, or null where nothing is (or it cannot be read). */
export function lstatQuiet(path: string): Stats | null;
export function lstatQuiet(path: string, bigint: true): BigIntStats | null;
export function lstatQuiet(path: string, bigint?: true) {
  try {
    return bigint ? lstatSync(path, { bigint: true }) : lstatSync(path);
  } catch {
    return null;
  }
}

/** A file's text, or null where nothing is (or it cannot be read). */
export function readTextQuiet(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
