import pkg from "../../package.json" with { type: "json" };
import { closest } from "../util/did-you-mean.ts";
import { jsonLine } from "../util/record-field.ts";
import { type Command, HELP_WIDTH, hanging, type Io } from "./command.ts";
import { attributeCommand } from "./commands/attribute.ts";
import { checkCommand } from "./commands/check.ts";
import { demoCommand } from "./commands/demo.ts";
import { importCommand } from "./commands/import.ts";
import { initCommand } from "./commands/init.ts";
import { reportCommand } from "./commands/report.ts";
import { runCommand } from "./commands/run.ts";
import { splitCommand } from "./commands/split.ts";
import { statusCommand } from "./commands/status.ts";
import { validateCommand } from "./commands/validate.ts";
import { verifyCommand } from "./commands/verify.ts";
import { describeError } from "./describe-error.ts";
import { EXIT, EXIT_CODES_TEXT } from "./exit-codes.ts";

export type { Io } from "./command.ts";

/** The commands, in the order a newcomer meets them. */
export const COMMANDS: readonly Command[] = [
  demoCommand,
  initCommand,
  validateCommand,
  checkCommand,
  runCommand,
  statusCommand,
  verifyCommand,
  attributeCommand,
  splitCommand,
  reportCommand,
  importCommand,
];

export const VERSION: string = pkg.version;

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    "autoexp: autonomous research loops you can trust",
    "",
    "Usage: autoexp <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => hanging(`  ${c.name.padEnd(width)}`, c.summary, HELP_WIDTH)),
    "",
    "Options:",
    "  -h, --help     show help (autoexp <command> --help: that command's options)",
    "  --version      print autoexp's version",
    "",
    "First steps: autoexp init, then autoexp validate, autoexp check, autoexp run, autoexp status.",
    "",
    EXIT_CODES_TEXT,
  ].join("\n");
}

/** The CLI: parses argv, runs one command, returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help") {
    io.out(usage());
    return EXIT.ok;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.out(VERSION);
    return EXIT.ok;
  }
  if (name === "help") {
    const topic = COMMANDS.find((c) => c.name === rest[0]);
    io.out(topic ? topic.help() : usage());
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const guess = name.startsWith("-")
      ? undefined
      : closest(
          name,
          COMMANDS.map((c) => c.name),
        );
    io.err(
      `autoexp: unknown ${name.startsWith("-") ? "option" : "command"} ${JSON.stringify(name)}${guess ? ` (did you mean \`autoexp ${guess}\`?)` : ""}; see \`autoexp --help\``,
    );
    return EXIT.usage;
  }
  try {
    return await command.invoke(rest, io);
  } catch (error) {
    const { message, exitCode, detail } = describeError(error);
    io.err(`autoexp: ${message}`);
    if (detail && io.env.AUTOEXP_DEBUG) io.err(detail);
    // A --json reader always gets the closing event, a failure's included.
    if (rest.includes("--json")) io.out(jsonLine({ type: "done", exitCode, error: message }));
    return exitCode;
  }
}
