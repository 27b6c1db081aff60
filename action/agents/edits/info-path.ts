import type { EditScope } from "./edit.ts";

/** ```python:train.py or ```train.py name the file in the fence's info string. */
export function infoPath(info: string, scope: EditScope): string | null {
  const tail = info.includes(":") ? info.slice(info.indexOf(":") + 1) : info;
  const path = tail.replace(/^\.\//, "");
  return scope.files.includes(path) ? path : null;
}
