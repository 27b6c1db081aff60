import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Finds the package's templates/ folder, from the source tree or from the dist/ bundle. */
export function findTemplates(from = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "templates");
    if (existsSync(join(candidate, "examples"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("autoexp's templates/ folder is missing from this installation");
}
