import { z } from "zod";
import { AutoexpError, validateTag } from "../util/errors.ts";

/** The Action's inputs, as action.yml declares them (the runner passes them as INPUT_<NAME>). */
export const INPUTS = [
  "mode",
  "config",
  "tag",
  "experiments",
  "working-directory",
  "remote",
  "handoff",
  "token",
  "live-status",
  "shard",
] as const;

const SAFE_PATH = /^[^\0\n\r]+$/;

const inputSchema = z.strictObject({
  mode: z.enum(["run", "verify", "attribute", "split", "publish"], {
    error: (i) =>
      `mode must be run, verify, attribute, split or publish, not ${JSON.stringify(i.input)}`,
  }),
  config: z
    .string()
    .regex(SAFE_PATH, "config must be a path to autoexp.yml")
    .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), {
      message: "config must be a path inside the repository, like autoexp.yml",
    }),
  tag: z
    .string()
    .optional()
    .superRefine((t, ctx) => {
      if (t === undefined) return;
      try {
        validateTag(t);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    }),
  experiments: z
    .string()
    .regex(/^[1-9]\d{0,5}$/, "experiments must be a whole number from 1 to 999999")
    .transform(Number)
    .optional(),
  "working-directory": z.string().regex(SAFE_PATH, "working-directory must be a path"),
  remote: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
      "remote must be a git remote name like origin (letters, digits, '.', '_', '-')",
    ),
  handoff: z.string().regex(SAFE_PATH, "handoff must be a path").optional(),
  token: z
    .string()
    .regex(/^[^\s]+$/, "token must be one word: a GitHub token (the default is the job's token)")
    .optional(),
  "live-status": z
    .string()
    .regex(
      /^(off|\d{1,5})$/,
      "live-status must be the seconds between updates (e.g. 60; 0: after every experiment) or off",
    )
    .transform((v) => (v === "off" ? null : Number(v))),
  shard: z
    .string()
    .regex(
      /^[1-9]\d?\/[1-9]\d?$/,
      "shard must be i/K, this shard's number and the matrix's size (e.g. ${{ matrix.shard }}/4)",
    )
    .transform((v) => {
      const [index, of] = v.split("/").map(Number) as [number, number];
      return { index, of };
    })
    .refine((s) => s.index <= s.of, "shard must be i/K with i at most K, e.g. 2/4")
    .optional(),
});

/** The variable the runner passes an input in: INPUT_LIVE-STATUS for live-status. */
export function inputVariable(name: (typeof INPUTS)[number]): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

export type ActionInputs = z.output<typeof inputSchema>;

const DEFAULTS: Partial<Record<(typeof INPUTS)[number], string>> = {
  mode: "run",
  config: "autoexp.yml",
  "working-directory": ".",
  remote: "origin",
  "live-status": "60",
};

/**
 * Reads and validates the inputs from the environment the runner sets (INPUT_CONFIG, ...). An
 * empty input is "not given". Every problem is reported at once, with the input's name.
 */
export function readInputs(env: Record<string, string | undefined>): ActionInputs {
  const raw: Record<string, string> = {};
  for (const name of INPUTS) {
    const value = (env[inputVariable(name)] ?? "").trim();
    const given = value || DEFAULTS[name];
    if (given !== undefined) raw[name] = given;
  }
  const parsed = inputSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `input ${String(i.path[0] ?? "?")}: ${i.message}`);
    throw new AutoexpError(`bad input; nothing was run or pushed:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
