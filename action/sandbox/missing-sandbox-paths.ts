import { existsSync } from "node:fs";
import type { SandboxSpec } from "./sandbox-argv.ts";

/**
 * Declared read-only and writable paths that do not exist on the host (fitSandboxSpec also drops
 * them, and fixes a missing HOME or hidden path, which would fail bwrap). bwrap skips them (the
 * eval then fails with its own "not found" if it needed one); the caller shows these as warnings.
 * Nothing is created: a missing writable cache is the user's to make, not a folder made behind
 * their back.
 */
export function missingSandboxPaths(
  spec: Pick<SandboxSpec, "readOnly" | "writable">,
  exists: (path: string) => boolean = existsSync,
): string[] {
  return [
    ...spec.readOnly.filter((p) => !exists(p)).map((p) => `read-only path not found: ${p}`),
    ...spec.writable.filter((p) => !exists(p)).map((p) => `writable path not found: ${p}`),
  ];
}
