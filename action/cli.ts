#!/usr/bin/env node
// The `autoexp` command. No logic here: see cli/main.ts.
import { main } from "./cli/main.ts";

process.exitCode = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  cwd: process.cwd(),
  env: process.env,
});
