import { existsSync } from "node:fs";

/**
 * The Chromium a bench drives (`--chromium PATH`, else Debian's /usr/bin/chromium). Without one
 * the bench ends before it does any work, with the fix and exit code 2, not a stack trace.
 */
export function chromiumPath(given: string | undefined): string {
  const path = given ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    console.error(
      `no Chromium at ${path}: install it (apt-get install chromium) or pass --chromium PATH`,
    );
    process.exit(2);
  }
  return path;
}
