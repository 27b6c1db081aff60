// The GitHub Action's entry (action.yml runs dist/action.js). No logic here: see github/action-main.ts.
import { actionMain } from "./github/action-main.ts";

process.exitCode = await actionMain();
