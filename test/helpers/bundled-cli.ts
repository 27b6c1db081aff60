// vitest's global setup: the CLI the tests run is bundled once from this checkout's source, as
// dist/cli.js is (scripts/bundle.ts), into node_modules/.cache. A Node process starts it in about
// a quarter of the time it takes to load action/cli.ts's hundreds of TypeScript files, and the
// suite starts the CLI some hundreds of times. It is the code users run, built from the source
// under test (never dist/, which may be stale while one works). Set AUTOEXP_TEST_CLI to run
// another build, e.g. action/cli.ts itself.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bundle, ROOT } from "../../scripts/bundle.ts";

export default async function setup(): Promise<() => void> {
  if (process.env.AUTOEXP_TEST_CLI) return () => {};
  // Three levels under the root, as dist/ is one: the CLI finds templates/ by walking up.
  const parent = join(ROOT, "node_modules", ".cache");
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, "autoexp-cli-"));
  await bundle(dir);
  process.env.AUTOEXP_TEST_CLI = join(dir, "cli.js");
  return () => rmSync(dir, { recursive: true, force: true });
}
