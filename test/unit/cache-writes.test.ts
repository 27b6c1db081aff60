import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CacheWrites } from "../../action/engine/cache-writes.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { cacheWriteViews } from "../../action/ledger/render-cache-writes.ts";
import { renderCacheWrites } from "../../action/ledger/render-dashboard.ts";
import { CacheCopy } from "../../action/sandbox/cache-copy.ts";
import { tempDir } from "../helpers/repo.ts";

describe("CacheCopy: whose change it was", () => {
  it("tells a run's changes from the cache's own, and blames nothing on its first sync", () => {
    const source = tempDir();
    mkdirSync(join(source, "dir"));
    writeFileSync(join(source, "dir", "x"), "x");
    writeFileSync(join(source, "file"), "f");
    writeFileSync(join(source, "gone"), "g");
    const target = join(tempDir(), "copy");
    // A copy left by an earlier batch: made again, but no run of this one wrote it.
    mkdirSync(target);
    writeFileSync(join(target, "leftover"), "l");
    const copy = new CacheCopy(source, target);
    expect(copy.sync()).toEqual({ run: [], source: [] });
    // The cache loses a file and a folder and gains one; a run turns a file into a folder.
    rmSync(join(source, "gone"));
    rmSync(join(source, "dir"), { recursive: true });
    writeFileSync(join(source, "new"), "n");
    rmSync(join(target, "file"));
    mkdirSync(join(target, "file"));
    expect(copy.sync()).toEqual({ run: ["file"], source: ["dir", "gone", "new"] });
    expect(copy.sync()).toEqual({ run: [], source: [] });
  });
});

describe("CacheWrites: one line per code and cache, an outside change once", () => {
  it("groups runs of the same code, says a cache's own change once, and forgets what it gave", () => {
    const writes = new CacheWrites();
    writes.ran("~/.cache/torch", { name: "4-0", commit: "c4" }, ["b", "a"]);
    writes.ran("~/.cache/torch", { name: "4-1", commit: "c4" }, ["a", "c"]);
    writes.ran("~/.cache/torch", { name: "5-0", commit: "c5" }, []);
    writes.changed("~/.cache/torch", ["new"]);
    writes.changed("~/.cache/torch", ["newer"]);
    const lines = writes.take("t");
    expect(lines).toEqual([
      { type: "cache-write", cache: "~/.cache/torch", count: 1, paths: ["new"], timestamp: "t" },
      {
        type: "cache-write",
        cache: "~/.cache/torch",
        commit: "c4",
        runs: ["4-0", "4-1"],
        count: 3,
        paths: ["a", "b", "c"],
        timestamp: "t",
      },
    ]);
    expect(writes.take("t")).toEqual([]);
    writes.changed("~/.cache/torch", ["again"]);
    expect(writes.take("t")).toEqual([]);
  });
});

describe("cache writes on the dashboard", () => {
  it("shows an eval's path names inert, one line each", () => {
    const text = [
      '{"type":"result","iteration":4,"commit":"c4","commit_full":"c4full","status":"keep"}',
      '{"type":"cache-write","cache":"~/.cache/torch","commit":"c4full","runs":["4-0"],"count":7,"paths":["a`](http://x) @me\\n> [!x]","b"],"timestamp":"t"}',
    ].join("\n");
    const log = parseLog(`${text}\n`);
    const view = { cacheWrites: cacheWriteViews(log.cacheWrites ?? [], log.results) };
    const note = renderCacheWrites(view);
    expect(note.split("\n")).toEqual([
      "> [!NOTE]",
      "> Written into writable caches (isolation.writable), each run into its own copy of the cache:",
      "> - #4 wrote 7 entries into `~/.cache/torch` in 1 run (put back before the next run): `a'](http://x) @me > [!x]`, `b`, …",
    ]);
  });

  it("reads a ledger without cache-write lines as before, and skips a malformed one leniently", () => {
    expect(parseLog('{"type":"result","iteration":0,"status":"baseline"}\n').cacheWrites).toBe(
      undefined,
    );
    const lenient = parseLog('{"type":"cache-write","cache":"x"}\n', { lenient: true });
    expect(lenient.unreadable).toBe(1);
  });
});
