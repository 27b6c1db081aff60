import { z } from "zod";
import { parseBytes } from "../util/bytes.ts";
import { parseDuration } from "../util/duration.ts";

/** Field types shared by the config schema: durations, commands, globs. */
export const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .refine((v) => parseDuration(v) !== undefined, {
      message:
        'must be a duration over zero like "90s", "10m" or "8h" (or a number of seconds over 0)',
    })
    .transform((v) => parseDuration(v)!)
    // Node's timers hold at most 2^31-1 ms; a longer one would fire at once.
    .refine((ms) => ms <= MAX_TIMER_MS, {
      message: `must be at most ${Math.floor(MAX_TIMER_MS / 86_400_000)} days (${MAX_TIMER_MS / 1000}s): a longer limit cannot be timed`,
    });

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A size in bytes: "8g", "512m", "2GiB", or a number of bytes. */
export const byteSize = z
  .union([z.string(), z.number()])
  .refine((v) => parseBytes(v) !== undefined, {
    message: 'must be a size like "8g", "512m" or "2GiB" (or a number of bytes)',
  })
  .transform((v) => parseBytes(v)!);

/** A command is either one string (run by /bin/sh, like a workflow `run:` step) or an argv array (no shell). */
export const command = z.union(
  [z.string().trim().min(1, "must not be empty"), z.array(z.string()).min(1, "must not be empty")],
  {
    error: (issue) =>
      `${issue.input === undefined ? "is required" : "must be a command"}: a string like "node eval.js" or an argv array like ["node", "eval.js"]`,
  },
);

export const globList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === "string" ? [v] : v))
  .pipe(
    z.array(
      z
        .string()
        .trim()
        .min(1, "a glob must not be empty")
        .refine((g) => !g.startsWith("/") && !g.split("/").includes(".."), {
          message:
            "a glob names files inside the repository: relative to it, without a leading / or ..",
        }),
    ),
  );

export const isolationMode = z.enum(["auto", "sandbox", "none"], {
  error:
    "isolation must be auto (sandbox when bubblewrap works), sandbox (refuse without it) or none",
});

/** A path outside git the eval needs: absolute, `~/...`, or relative to the repository. */
export const hostPath = z
  .string()
  .trim()
  .min(1, "a path must not be empty")
  .refine((p) => !p.split("/").includes(".."), {
    message: "a path must not contain `..`: name the directory itself",
  });
