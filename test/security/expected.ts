import type { FindingKind, Isolation } from "../helpers/security-types.ts";

/**
 * What each attack still achieves, per isolation mode, once the engine does what issues 12 and
 * 22 ask:
 * a scenario not listed must end with no finding at all (controls included). Under `sandbox`
 * nothing gets through. Under `none` the eval runs as autoexp's user with no namespace, so what
 * stays possible is listed here, honestly: a frozen file rewritten in its own slot, git metadata
 * and dotfiles written (detected and the batch stopped, but written), autoexp's own environ
 * read, the ssh-agent socket found under /tmp, a daemon outliving the eval, and an agent's
 * daemon that escaped its process group. Change this table only with the engine: an attack that
 * starts or stops getting through must show.
 */
export const EXPECTED: Record<Isolation, Readonly<Record<string, readonly FindingKind[]>>> = {
  sandbox: {},
  none: {
    "frozen-rewrite": ["keptWrong"],
    "refs-gc": ["recordDamaged"],
    "git-hooks": ["persistence"],
    "hooks-path": ["persistence"],
    fsmonitor: ["persistence"],
    "jsonl-filter": ["persistence"],
    "home-dotfiles": ["persistence"],
    daemon: ["persistence"],
    "keys-proc-environ": ["keysLeaked"],
    "ssh-agent": ["keysLeaked"],
    "agent-survives-sigkill": ["persistence"],
    // Issue 22. An unsandboxed agent writes what its user may: the user's .git (a hook, a loose
    // object, its own pid file), the declared data, HOME and the working tree; a signed journal
    // and a refused branch keep the record, but what it planted and what its eval then measured
    // against stays possible (a rewritten object is refused when a slot is made from it). An
    // unsandboxed eval reads the user's files (.env, credentials) and
    // leaves a grandchild that escaped its process group.
    "agent-post-commit-hook": ["persistence"],
    "agent-pidfile-decoy": ["persistence"],
    "agent-rewrites-object": ["persistence"],
    "agent-rewrites-read-only": ["persistence"],
    "agent-plants-pth": ["keptWrong", "persistence"],
    "agent-config-isolation-none": ["persistence"],
    "eval-reads-dotenv": ["keysLeaked"],
    "eval-reads-dotenv-through-path": ["keysLeaked"],
    "eval-reads-root-file": ["keysLeaked"],
    "eval-hangs": ["persistence"],
  },
};

/**
 * Kinds an attack may add, depending on timing alone: under `none`, an agent's daemon that
 * survives autoexp's SIGKILL plants its file into the resumed run's slot only if it gets there
 * before that run evaluates (seen both ways on a loaded 2-core machine).
 */
export const MAY: Record<Isolation, Readonly<Record<string, readonly FindingKind[]>>> = {
  sandbox: {},
  none: { "agent-survives-sigkill": ["keptWrong"] },
};

/**
 * Statuses a row (by its place in `honest`) may be recorded with besides its honest ones,
 * depending on timing alone: under `none`, the SIGKILL survivor's daemon plants local.js while the
 * resumed run evaluates #1, and a full suite on a loaded 2-core machine once recorded #1 as a
 * violation (a run that changed its tree is refused) where the suite alone keeps it, 3 of 3.
 */
export const MAY_RECORD: Record<
  Isolation,
  Readonly<Record<string, Readonly<Record<number, readonly string[]>>>>
> = {
  sandbox: {},
  none: { "agent-survives-sigkill": { 1: ["violation"] } },
};

/** Whether `found` is what a scenario may end with: every expected kind, and only those it may add. */
export function asExpected(mode: Isolation, name: string, found: readonly FindingKind[]): boolean {
  const must = expectedKinds(mode, name);
  const may = MAY[mode][name] ?? [];
  return (
    must.every((k) => found.includes(k)) && found.every((k) => must.includes(k) || may.includes(k))
  );
}

/** The finding kinds a scenario is expected to end with in a mode. */
export function expectedKinds(mode: Isolation, name: string): readonly FindingKind[] {
  return EXPECTED[mode][name] ?? [];
}
