import type { Config } from "../config/schema.ts";
import { detectGpus, type Gpu } from "../process/detect-gpus.ts";
import { AutoexpError } from "../util/errors.ts";

/** One worker per GPU when `gpus` is set (auto: every GPU nvidia-smi lists); else null. */
export async function workerGpus(config: Config): Promise<Gpu[] | null> {
  if (config.gpus === undefined) return null;
  const found = await detectGpus();
  if (config.gpus === "auto") {
    if (found.length === 0)
      throw new AutoexpError(
        "gpus: auto, but nvidia-smi lists no GPU here: install the NVIDIA driver, list the GPUs (gpus: [0, 1]), or remove gpus and set workers. Nothing was run",
      );
    return found;
  }
  return config.gpus.map((index) => found.find((g) => g.index === index) ?? { index, name: "GPU" });
}
