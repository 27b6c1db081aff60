import type { CliAgentConfig } from "../../config/schema.ts";
import { PRESETS } from "./presets.ts";

/** The program a CLI agent runs (for the preflight check that it exists). */
export function cliProgram(config: CliAgentConfig): string | null {
  if (config.use === "command") return null;
  return config.command ?? PRESETS[config.use].program;
}
