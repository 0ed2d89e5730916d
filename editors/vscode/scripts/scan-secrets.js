// The secret scan `vsce package` runs (secretlint, vsce's own rules), over the files this project
// writes into the package: the client, the manifest and pages, archls's own sources and the launcher.
// vsix.sh then packs with --allow-package-all-secrets, because vsce would also read every file of the
// bundled third-party wheels (5,500 files, compiled libraries included), which takes 90% of a build.
// Uses vsce's internal module (pinned by package-lock.json): the same engine and rules as vsce.
// Usage: node scripts/scan-secrets.js   (from editors/vscode)

const { readdirSync, statSync } = require("node:fs");
const path = require("node:path");
const { lintFiles, prettyPrintLintResult } = require("@vscode/vsce/out/secretLint");

const ROOTS = ["out", "package.json", "README.md", "CHANGELOG.md", "LICENSE", "walkthrough", "examples", "schemas", "images", "server/app", "server/launch.py", "server/manifest.json"];

function walk(entry, files) {
  const info = statSync(entry, { throwIfNoEntry: false });
  if (!info) {
    return;
  }
  if (info.isDirectory()) {
    for (const name of readdirSync(entry)) {
      if (name !== "__pycache__" && name !== "test") {
        walk(path.join(entry, name), files);
      }
    }
  } else if (!/\.(png|jpg|jpeg|gif|svg|pyc)$/i.test(entry)) {
    files.push(path.resolve(entry));
  }
}

(async () => {
  const files = [];
  for (const root of ROOTS) {
    walk(root, files);
  }
  const result = await lintFiles(files, true, true);
  if (!result.ok || result.results.length > 0) {
    for (const found of result.results) {
      console.error(prettyPrintLintResult(found));
    }
    console.error(`secrets: found in the files the package carries; remove them before packaging`);
    process.exit(1);
  }
  console.log(`secrets: none in ${files.length} files`);
})();
