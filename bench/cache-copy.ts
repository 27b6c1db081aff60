// bench/cache-copy: what a declared writable cache (isolation.writable) costs a new process (a
// batch's start, `check`) to ready its copy: the first copy, then the next process's first sync,
// which copies only what changed when the last process's record of the copy is kept beside it.
//   node bench/cache-copy.ts [--mb 200] [--files 800]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CacheCopy } from "../action/sandbox/cache-copy.ts";

const { values: args } = parseArgs({
  options: { mb: { type: "string", default: "200" }, files: { type: "string", default: "800" } },
});
const files = Number(args.files);
const bytes = Math.floor((Number(args.mb) * 1024 * 1024) / files);
// On the disk a slot's copies live on (beside the repository), not a RAM /tmp.
const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "autoexp-bench-cache-"));
const source = join(root, "cache");
for (let i = 0; i < files; i++) {
  const dir = join(source, `d${i % 20}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `f${i}.bin`), Buffer.alloc(bytes, i % 251));
}
const target = join(root, "slot", "caches", "0");
const time = (f: () => void) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};
const first = time(() => new CacheCopy(source, target).sync());
const next = time(() => new CacheCopy(source, target).sync());
console.log(
  `${args.mb} MB in ${files} files: the first copy ${first.toFixed(0)} ms; the next process's first sync ${next.toFixed(0)} ms`,
);
rmSync(root, { recursive: true, force: true });
