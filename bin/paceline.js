#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli into dist/ by `npm run build` (run by npm install).
import { main } from "../dist/src/cli/main.js";
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`paceline: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 70;
  },
);
