import { parseArgs } from "node:util";
import { closest } from "../util/did-you-mean.ts";
import { AutoexpError } from "../util/errors.ts";
import { COMMAND_EXIT_CODES_TEXT, EXIT_CODES_TEXT } from "./exit-codes.ts";

/** What a command may touch of the outside world: output, the working directory, the environment. */
export interface Io {
  /** A line for stdout. */
  out: (text: string) => void;
  /** A line for stderr. */
  err: (text: string) => void;
  /** Raw text for stdout, no newline added: the live progress line rewrites itself with it. */
  write: (chunk: string) => void;
  cwd: string;
  env: Record<string, string | undefined>;
  /** stdout is a terminal, `columns` wide: progress may rewrite one line in place. */
  isTTY: boolean;
  columns: number;
}

/** One flag of a command, as its help shows it. */
export interface OptionSpec {
  type: "string" | "boolean";
  /** The placeholder in the help, e.g. `N` for `--experiments N`. */
  value?: string;
  default?: string;
  help: string;
}

type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K]["type"] extends "boolean"
    ? boolean
    : O[K]["default"] extends string
      ? string
      : string | undefined;
};

/** A command's definition: its help is generated from it, and `run` gets typed flag values. */
export interface CommandSpec<O extends Record<string, OptionSpec>> {
  name: string;
  /** One line, shown in `autoexp --help`. */
  summary: string;
  /** Positional arguments as the usage line shows them, e.g. `<results.tsv|log.jsonl>`. */
  positionals?: string;
  /** More text for `autoexp <command> --help`: reflowed; a line that starts indented stays. */
  details?: string;
  /** Runs a batch (run, demo): its help gives the batch's exit codes. */
  batch?: boolean;
  options: O;
  run: (args: { values: Values<O>; positionals: string[] }, io: Io) => Promise<number>;
}

/** A command with its flag types erased, as the dispatcher holds it. */
export interface Command {
  name: string;
  summary: string;
  help: () => string;
  /** Parses argv (`-h/--help` included), then runs; returns the exit code. */
  invoke: (argv: readonly string[], io: Io) => Promise<number>;
}

/** Builds a command from its spec: help text, flag parsing and `-h/--help` come with it. */
export function defineCommand<const O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
): Command {
  const help = () => renderCommandHelp(spec);
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    invoke: async (argv, io) => {
      const options = Object.fromEntries(
        Object.entries(spec.options).map(([name, o]) => [
          name,
          o.type === "string" && o.default !== undefined
            ? { type: o.type, default: o.default }
            : { type: o.type },
        ]),
      );
      const parsed = parseCliArgs(
        spec.name,
        argv,
        { ...options, help: { type: "boolean", short: "h" } },
        (name) => spec.options[name]?.value,
      );
      if (parsed.values.help === true) {
        io.out(help());
        return 0;
      }
      if (!spec.positionals && parsed.positionals.length > 0) {
        throw new AutoexpError(
          `autoexp ${spec.name} takes no argument ${JSON.stringify(parsed.positionals[0])}; see \`autoexp ${spec.name} --help\``,
        );
      }
      const values = Object.fromEntries(
        Object.entries(spec.options).map(([name, o]) => [
          name,
          parsed.values[name] ?? (o.type === "boolean" ? false : undefined),
        ]),
      ) as Values<O>;
      return spec.run({ values, positionals: parsed.positionals }, io);
    },
  };
}

type ParseOptions = Record<
  string,
  { type: "string" | "boolean"; short?: string; default?: string }
>;

/** node:util's parseArgs, with its errors rewritten as a usage mistake that names the fix. */
function parseCliArgs(
  command: string,
  argv: readonly string[],
  options: ParseOptions,
  placeholder: (name: string) => string | undefined,
) {
  // `--pairs -2` is a value to check (must be >= 1), not a flag `-2`: node's parseArgs reads a
  // value that starts with a dash as a missing one, so a number is joined on as `--pairs=-2`.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [arg, next] = [argv[i]!, argv[i + 1]];
    const takesValue = options[arg.replace(/^--/, "")]?.type === "string" && arg.startsWith("--");
    if (takesValue && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (!code.startsWith("ERR_PARSE_ARGS")) throw error;
    const flag = /'(-{1,2}[^' ]+)/.exec((error as Error).message)?.[1];
    const known = Object.keys(options).map((o) => `--${o}`);
    let message: string;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag) {
      const guess = nearestFlag(flag, known);
      message = `unknown option ${flag}${guess ? ` (did you mean ${guess}?)` : ""}`;
    } else if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag) {
      message =
        options[flag.replace(/^-+/, "")]?.type === "boolean"
          ? `${flag} takes no value`
          : `${flag} needs a value: ${flag} ${placeholder(flag.replace(/^-+/, "")) ?? "VALUE"}`;
    } else {
      message = (error as Error).message;
    }
    throw new AutoexpError(`${message} (autoexp ${command}); see \`autoexp ${command} --help\``);
  }
}

function nearestFlag(flag: string, known: readonly string[]): string | undefined {
  const bare = flag.replace(/=.*$/, "");
  return known.find((k) => k.startsWith(bare) || bare.startsWith(k)) ?? closest(bare, known);
}

function renderCommandHelp<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
  const flags = Object.entries(spec.options).map(([name, o]) => ({
    left: `--${name}${o.value ? ` ${o.value}` : ""}`,
    right: `${o.help}${o.default !== undefined ? ` (default ${o.default})` : ""}`,
  }));
  flags.push({ left: "-h, --help", right: "show this help" });
  const width = Math.max(...flags.map((f) => f.left.length)) + 2;
  return [
    hanging("", `autoexp ${spec.name}: ${spec.summary}`, HELP_WIDTH, "  "),
    "",
    `Usage: autoexp ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ""}${Object.keys(spec.options).length > 0 ? " [options]" : ""}`,
    ...(spec.details ? ["", reflow(spec.details, HELP_WIDTH)] : []),
    "",
    "Options:",
    ...flags.map((f) => hanging(`  ${f.left.padEnd(width)}`, f.right, HELP_WIDTH)),
    "",
    spec.batch ? EXIT_CODES_TEXT : COMMAND_EXIT_CODES_TEXT,
  ].join("\n");
}

/** The columns every help line fits in. */
export const HELP_WIDTH = 96;

/**
 * `left` then `text` wrapped at `width` columns, each line after the first indented as far as
 * `left` is wide (or by `indent`): a flag's help under its own column, a long summary.
 */
export function hanging(left: string, text: string, width: number, indent?: string): string {
  const pad = indent ?? " ".repeat(left.length);
  const lines = reflow(text, width - left.length).split("\n");
  const rest = lines.slice(1).join(" ");
  const first = `${left}${lines[0]}`;
  if (!rest) return first;
  return [
    first,
    ...reflow(rest, width - pad.length)
      .split("\n")
      .map((l) => `${pad}${l}`),
  ].join("\n");
}

/**
 * Text wrapped at `width` columns: lines that start flush left run together as one paragraph (a
 * blank line ends it); a line that starts indented (a list) is kept as written.
 */
export function reflow(text: string, width: number): string {
  const out: string[] = [];
  let words: string[] = [];
  const flush = () => {
    let line = "";
    for (const w of words) {
      if (line && line.length + 1 + w.length > width) {
        out.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    if (line) out.push(line);
    words = [];
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "" || /^\s/.test(line)) {
      flush();
      out.push(line);
    } else words.push(...line.split(/\s+/).filter(Boolean));
  }
  flush();
  return out.join("\n");
}
