/** Sizes in bytes, read and written as people do (binary units). Pure. */

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** "8g", "512MiB", "2 GB", 1048576: bytes (binary units; k, m, g, t). Undefined when unreadable. */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!m) return undefined;
  const power = ["", "k", "m", "g", "t"].indexOf(m[2]!.toLowerCase());
  const n = Math.floor(Number(m[1]) * 1024 ** power);
  return n > 0 ? n : undefined;
}
