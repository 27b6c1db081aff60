import type { Io } from "./command.ts";

/**
 * The real process's Io. A closed pipe (`autoexp status | head`) is not an error: output stops
 * and the command carries on, so `autoexp run | head` finishes its batch and records it.
 */
export function processIo(proc: NodeJS.Process = process): Io {
  const open = { out: true, err: true };
  // EPIPE and friends arrive as 'error' events on the stream; without a listener they crash.
  proc.stdout.on("error", () => {
    open.out = false;
  });
  proc.stderr.on("error", () => {
    open.err = false;
  });
  return {
    out: (text) => {
      if (open.out) proc.stdout.write(`${text}\n`);
    },
    err: (text) => {
      if (open.err) proc.stderr.write(`${text}\n`);
    },
    write: (chunk) => {
      if (open.out) proc.stdout.write(chunk);
    },
    cwd: proc.cwd(),
    env: proc.env,
    isTTY: proc.stdout.isTTY === true,
    columns: proc.stdout.columns || 80,
  };
}
