import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The CLI the tests start, bundled once from this checkout (test/helpers/bundled-cli.ts).
    globalSetup: ["test/helpers/bundled-cli.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most tests wait on git, node and bwrap processes rather than compute: two files at a time
    // on a 2-core runner (vitest's default there is one).
    maxWorkers: 2,
    // GitHub's workflow parser imports its JSON schemas without import attributes, which Node
    // refuses: transformed by vite instead of loaded by Node.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
