// Bundles the CLI, the Action and the App into dist/ (committed, so `npx autoexp` and `uses:` run
// without a build step), with dist/THIRD_PARTY_NOTICES.txt; see scripts/bundle.ts for what goes in.
// `--check` rebuilds into a temporary folder and fails if dist/ differs: CI keeps dist/ honest.
//   node scripts/build.ts [--check] [--dist DIR]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundle, ROOT } from "./bundle.ts";

const args = process.argv.slice(2);
const check = args.includes("--check");
const at = args.indexOf("--dist");
const dist = resolve(ROOT, at >= 0 ? (args[at + 1] ?? "") : "dist");
const outdir = check ? mkdtempSync(join(tmpdir(), "autoexp-dist-")) : dist;

try {
  await bundle(outdir);
} catch (error) {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

if (check) {
  const made = readdirSync(outdir).sort();
  const stale = made.filter(
    (name) =>
      !existsSync(join(dist, name)) ||
      !readFileSync(join(outdir, name)).equals(readFileSync(join(dist, name))),
  );
  const extra = existsSync(dist) ? readdirSync(dist).filter((name) => !made.includes(name)) : [];
  rmSync(outdir, { recursive: true, force: true });
  if (stale.length + extra.length > 0) {
    const named = [...stale, ...extra.map((name) => `${name}, which the build does not make`)];
    console.error(`dist/ is stale (${named.join("; ")}): run \`npm run build\` and commit dist/`);
    process.exit(1);
  }
  console.log("dist/ is current");
}
