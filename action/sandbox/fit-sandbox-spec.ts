import { existsSync, statSync } from "node:fs";
import { missingSandboxPaths } from "./missing-sandbox-paths.ts";
import { type SandboxSpec, SECRET_SYSTEM_PATHS, SYSTEM_ROOTS } from "./sandbox-argv.ts";

/** Where HOME goes when the real one does not exist: inside the sandbox's private /tmp. */
export const FALLBACK_HOME = "/tmp/home";

/**
 * Fits a spec to this host before sandboxArgv: bwrap cannot make a mount point under a
 * read-only folder, so a tmpfs over a missing HOME or hidden path would fail the eval. Declared
 * read-only and writable paths that do not exist are dropped with a warning (the eval then fails
 * with its own "not found" if it needed one); nothing is created, a missing cache is the user's
 * to make. A hidden path that does not exist has nothing to hide. A missing HOME (a service user's
 * /nonexistent) becomes FALLBACK_HOME: give the eval the returned spec's home as HOME. The root's
 * allow-list is fixed here too: the system folders that exist, and the secrets inside them that
 * exist (files blanked, folders hidden).
 */
export function fitSandboxSpec(
  spec: SandboxSpec,
  exists: (path: string) => boolean = existsSync,
  isFolder: (path: string) => boolean = (p) =>
    statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false,
): { spec: SandboxSpec; warnings: string[] } {
  const warnings = missingSandboxPaths(spec, exists);
  const home = exists(spec.home) ? spec.home : FALLBACK_HOME;
  if (home !== spec.home)
    warnings.push(`HOME ${spec.home} does not exist: the eval's HOME is ${home}`);
  const system = (spec.system ?? SYSTEM_ROOTS).filter(exists);
  const blank = [
    ...(spec.blank ?? []).filter(exists),
    ...SECRET_SYSTEM_PATHS.files.filter((p) => exists(p) && !isFolder(p)),
  ];
  const hide = [
    ...(spec.hide ?? []).filter(exists),
    ...SECRET_SYSTEM_PATHS.folders.filter((p) => exists(p) && isFolder(p)),
  ];
  return {
    spec: {
      ...spec,
      home,
      readOnly: spec.readOnly.filter(exists),
      writable: spec.writable.filter(exists),
      system,
      blank: [...new Set(blank)],
      hide: [...new Set(hide)],
    },
    warnings,
  };
}
