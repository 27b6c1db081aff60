import { execFile } from "node:child_process";

/** A GPU as nvidia-smi lists it. */
export interface Gpu {
  index: number;
  name: string;
}

/** The machine's NVIDIA GPUs (`nvidia-smi`), or an empty list when there is none or no driver. */
export function detectGpus(): Promise<Gpu[]> {
  return new Promise((resolve) => {
    execFile(
      "nvidia-smi",
      ["--query-gpu=index,name", "--format=csv,noheader"],
      { timeout: 15_000, encoding: "utf8" },
      (error, stdout) => {
        if (error) return resolve([]);
        resolve(
          stdout
            .split("\n")
            .map((l) => l.split(",").map((x) => x.trim()))
            .filter(([i]) => i !== undefined && /^\d+$/.test(i))
            .map(([i, name]) => ({ index: Number(i), name: name ?? "GPU" })),
        );
      },
    );
  });
}
