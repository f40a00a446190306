#!/usr/bin/env bash
# Builds the VS Code extension from a clean install and checks the package:
#   npm ci -> type-check -> lint -> unit tests (node --test) -> bundle (esbuild) -> copy schema -> vsce package
# then asserts that fasthep-flow.vsix holds the bundled client, the schema and the mermaid bundle, and no
# node_modules/. Any failure exits non-zero. Output: vscode-extension/fasthep-flow.vsix.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ext="$repo/vscode-extension"
vsix="$ext/fasthep-flow.vsix"

step() { printf '\n==> %s\n' "$*"; }

if [[ ! -f "$repo/schemas/workflow.schema.json" ]]; then
    echo "error: $repo/schemas/workflow.schema.json is missing; generate it (fasthep-flow schema) first" >&2
    exit 1
fi

cd "$ext"
step "npm ci"
npm ci --no-audit --no-fund
step "type-check (tsc --noEmit, strict)"
npm run --silent typecheck
step "lint (eslint)"
npm run --silent lint
step "unit tests (node --test)"
npm test
step "bundle (esbuild)"
npm run --silent bundle
step "copy schema"
npm run --silent copy-schema
step "package (vsce)"
rm -f "$vsix"
npx --no-install vsce package --no-dependencies -o "$vsix"

step "check $vsix"
python3 - "$vsix" <<'PY'
import sys
import zipfile

path = sys.argv[1]
with zipfile.ZipFile(path) as vsix:
    names = vsix.namelist()
    bad = vsix.testzip()
problems = []
if bad is not None:
    problems.append(f"corrupt member {bad}")
for required in (
    "extension/package.json",
    "extension/dist/extension.js",
    "extension/dist/preview.js",
    "extension/dist/mermaid.min.js",
    "extension/schemas/workflow.schema.json",
    "extension/syntaxes/fasthep-flow.tmLanguage.json",
    "extension/language-configuration.json",
    "extension/readme.md",  # vsce lower-cases the README
):
    if required not in names:
        problems.append(f"missing {required}")
for name in names:
    if "node_modules/" in name:
        problems.append(f"contains {name}")
        break
    if name.startswith(("extension/src/", "extension/out/", "extension/test/")):
        problems.append(f"contains source or test file {name}")
        break
if problems:
    print("vsix check failed:", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"{path}: {len(names)} files, contents OK")
PY
