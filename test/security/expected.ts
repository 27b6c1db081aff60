import type { FindingKind, Isolation } from "../helpers/security-types.ts";

/**
 * What each attack still achieves, per isolation mode, once the engine does what issue 12 asks:
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
    "agent-survives-sigkill": ["keptWrong", "persistence"],
  },
};

/** The finding kinds a scenario is expected to end with in a mode. */
export function expectedKinds(mode: Isolation, name: string): readonly FindingKind[] {
  return EXPECTED[mode][name] ?? [];
}
