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

  it("is not copied whole again by the next process: what it held untouched is kept, anything changed is put back", () => {
    const source = tempDir();
    mkdirSync(join(source, "wheels"));
    writeFileSync(join(source, "wheels", "torch.whl"), "a large wheel");
    writeFileSync(join(source, "index.json"), "{}");
    const target = join(tempDir(), "copy");
    new CacheCopy(source, target).sync();
    const at = (p: string) => join(target, p);
    // Its identity: a copy made again is a new file, written later (a freed inode number is often
    // handed out again at once, so the number alone would not tell).
    const identity = () => {
      const st = statSync(at("wheels/torch.whl"), { bigint: true });
      return `${st.ino}:${st.ctimeNs}`;
    };
    const wheel = identity();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    // Between two processes (a batch, then check): something rewrites one entry of the copy.
    writeFileSync(at("index.json"), '{"poisoned": true}');
    const next = new CacheCopy(source, target);
    expect(next.sync()).toEqual({ run: [], source: [] });
    // The untouched wheel was not copied again; the rewritten entry was.
    expect(identity()).toBe(wheel);
    expect(readFileSync(at("index.json"), "utf8")).toBe("{}");
    // And from then on, as within one process.
    writeFileSync(at("poison"), "x");
    expect(next.sync().run).toEqual(["poison"]);
  });
});
