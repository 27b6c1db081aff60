// Bundles the CLI into dist/cli.js (committed, so `npx autoexp` runs without a build step).
// `--check` rebuilds into a temporary folder and fails if dist/ differs: CI keeps dist/ honest.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

const check = process.argv.includes("--check");
const outdir = check ? mkdtempSync(join(tmpdir(), "autoexp-dist-")) : "dist";
// The Action and the CLI carry everything they need; the App leaves probot to its host
// (`probot run` provides it), and @actions/* stays out of it.
const builds = [
  { entries: { cli: "action/cli.ts", action: "action/action.ts" }, external: [] as string[] },
  { entries: { app: "app/index.ts", "app-server": "app/server.ts" }, external: ["probot"] },
];
const entries = Object.assign({}, ...builds.map((b) => b.entries)) as Record<string, string>;

for (const { entries: entryPoints, external } of builds)
  await build({
    entryPoints,
    external,
    outdir,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    legalComments: "none",
    logLevel: "warning",
    // simple-git and yaml are CommonJS-compatible ESM; `require` is needed by some of their deps.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });

if (check) {
  const stale = Object.keys(entries).filter(
    (name) =>
      readFileSync(join(outdir, `${name}.js`), "utf8") !==
      readFileSync(join("dist", `${name}.js`), "utf8").toString(),
  );
  rmSync(outdir, { recursive: true, force: true });
  if (stale.length > 0) {
    console.error(`dist/ is stale (${stale.join(", ")}): run \`npm run build\` and commit dist/`);
    process.exit(1);
  }
  console.log("dist/ is current");
}
