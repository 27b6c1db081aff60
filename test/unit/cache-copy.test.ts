import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CacheCopy } from "../../action/sandbox/cache-copy.ts";
import { tempDir } from "../helpers/repo.ts";

describe("CacheCopy: a run's copy of a writable cache, put back before each run", () => {
  it("undoes every kind of change a run makes, even a rewrite that keeps size and mtime", () => {
    const source = tempDir();
    mkdirSync(join(source, "sub"));
    writeFileSync(join(source, "a.bin"), "aaaa");
    writeFileSync(join(source, "sub", "b.bin"), "bbbb");
    const copy = new CacheCopy(source, join(tempDir(), "copy"));
    expect(copy.sync().run).toEqual([]);
    const at = (p: string) => join(copy.target, p);
    expect(readFileSync(at("sub/b.bin"), "utf8")).toBe("bbbb");
    // A run: rewrites a.bin in place with the same size and puts its mtime back, deletes b.bin,
    // adds a file and a folder.
    const before = statSync(at("a.bin"));
    writeFileSync(at("a.bin"), "AAAA");
    utimesSync(at("a.bin"), before.atime, before.mtime);
    rmSync(at("sub/b.bin"));
    writeFileSync(at("poison"), "x");
    mkdirSync(at("planted"));
    expect(copy.sync().run).toEqual(["a.bin", "planted", "poison", "sub/b.bin"]);
    expect(readFileSync(at("a.bin"), "utf8")).toBe("aaaa");
    expect(readFileSync(at("sub/b.bin"), "utf8")).toBe("bbbb");
    expect(() => statSync(at("poison"))).toThrow();
    expect(() => statSync(at("planted"))).toThrow();
    // Nothing changed: nothing reported. The cache itself changed: copied, not blamed on a run.
    expect(copy.sync().run).toEqual([]);
    writeFileSync(join(source, "a.bin"), "new cache entry");
    expect(copy.sync()).toEqual({ run: [], source: ["a.bin"] });
    expect(readFileSync(at("a.bin"), "utf8")).toBe("new cache entry");
  });
});
