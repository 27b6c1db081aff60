// Writes schema/autoexp.schema.json from the zod schema (the single source of truth).
// `--check` fails if the committed file differs.
import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { configSchema } from "../action/config/schema.ts";

const path = "schema/autoexp.schema.json";
const schema = {
  ...z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }),
  $id: "https://autoexp.dev/schema/autoexp.schema.json",
  title: "autoexp.yml",
};
const text = `${JSON.stringify(schema, null, 2)}\n`;
if (process.argv.includes("--check")) {
  if (readFileSync(path, "utf8") !== text) {
    console.error(`${path} is stale: run \`npm run schema\` and commit it`);
    process.exit(1);
  }
  console.log(`${path} is current`);
} else {
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}
