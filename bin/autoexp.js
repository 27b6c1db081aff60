#!/usr/bin/env node
// The `autoexp` command as installed. Plain JavaScript that any Node parses: it checks the
// version before loading the bundle, which on an older Node fails with an error that does not
// say why (fs.glob and its file types, stable from 22.18). Keep NEEDED equal to package.json's
// engines.node.
const NEEDED = [22, 18];
const found = process.versions.node;
const [major, minor] = found.split(".").map(Number);
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  process.stderr.write(
    `autoexp needs Node.js ${NEEDED.join(".")} or newer, and this is Node.js ${found} (${process.execPath}): install Node.js 24 (https://nodejs.org, or \`nvm install 24\`) and run autoexp again\n`,
  );
  process.exit(2);
}
import("../dist/cli.js");
