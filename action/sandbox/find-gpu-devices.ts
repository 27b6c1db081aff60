import { readdirSync } from "node:fs";
import { join } from "node:path";

// What NVIDIA's container toolkit and ROCm's docs bind into a container: the nvidia* nodes
// (nvidia0.., nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia-modeset, nvidia-caps/ for MIG,
// nvidia-nvswitch*), DRM render nodes (/dev/dri) and AMD's /dev/kfd.
const GPU_NODE = /^(nvidia.*|dri|kfd)$/;

/** The GPU device nodes present under `dir` (default /dev), as absolute paths, sorted. */
export function findGpuDevices(dir = "/dev"): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => GPU_NODE.test(n))
    .sort()
    .map((n) => join(dir, n));
}
