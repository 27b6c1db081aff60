import { resolve } from "node:path";
import type { Config } from "../config/schema.ts";
import { primaryMetric } from "../config/validate-config.ts";
import { killActiveGroups } from "../process/run-process.ts";
import {
  createProgressPrinter,
  type ProgressPrinter,
  progressMode,
} from "../report/progress-printer.ts";
import { AutoexpError, defaultTag, validateTag } from "../util/errors.ts";
import { watchInterrupts } from "../util/interrupt.ts";
import { positiveInt, readValidConfig, requireRepository } from "./args.ts";
import type { Io } from "./command.ts";
import { EXIT } from "./exit-codes.ts";

/** --seed: what the pairs' order is drawn from (each pair's two sides run in a random order). */
export const SEED_OPTION = {
  seed: {
    type: "string",
    value: "N",
    help: "draw each pair's order from this seed (default: a fresh one; recorded as order_seed)",
  },
} as const;

/**
 * What verify, attribute and split each start with: --pairs (at least 2: an interval needs
 * two), --seed, the repository, the config, the tag, and a progress printer for the runs.
 */
export async function measureSetup(
  values: {
    config: string;
    tag?: string | undefined;
    pairs?: string | undefined;
    seed?: string | undefined;
    quiet: boolean;
    json: boolean;
  },
  io: Io,
  command: "verify" | "attribute" | "split",
): Promise<{
  pairs: number | undefined;
  orderSeed: number | undefined;
  repoDir: string;
  config: Config;
  tag: string;
  printer: ProgressPrinter;
}> {
  const pairs = positiveInt("pairs", values.pairs);
  if (pairs === 1)
    throw new AutoexpError("--pairs must be at least 2: an interval needs two pairs");
  const orderSeed = positiveInt("seed", values.seed);
  const repoDir = await requireRepository(io.cwd, io.env);
  const config = await readValidConfig(resolve(io.cwd, values.config), values.config);
  const tag = validateTag(values.tag ?? defaultTag(config.name));
  const shown = createProgressPrinter(
    progressMode({ quiet: values.quiet, json: values.json }, io.isTTY),
    { line: io.out, write: io.write, columns: io.columns },
    primaryMetric(config),
  );
  // Ctrl-C or SIGTERM: the runs in flight are killed and the command says what became of its
  // work (it exited 130 without a word): at the first, as these commands record nothing until
  // every pair has run. Listened for until the printer closes.
  const interrupts = watchInterrupts(() => {
    shown.close();
    killActiveGroups();
    io.err(
      `autoexp ${command}: interrupted. It records its line only once every pair has run, so nothing of this one was recorded; run the same command again`,
    );
    process.exit(EXIT.interrupted);
  });
  const printer: ProgressPrinter = {
    ...shown,
    close: () => {
      interrupts.release();
      shown.close();
    },
  };
  return { pairs, orderSeed, repoDir, config, tag, printer };
}
