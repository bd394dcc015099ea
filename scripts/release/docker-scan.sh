#!/usr/bin/env bash
# npm run docker:scan [-- --save DIR]
# Builds the sidecar image (docker/Dockerfile, context = repository root) and scans it with Trivy. Fails on HIGH or
# CRITICAL vulnerabilities that have a fixed version, less the reviewed exceptions in .trivyignore.yaml (each with a
# statement and an expiry; an expired one counts again).
# The scan reads the image archive that `docker save` wrote, so what was scanned is exactly the bytes with that image
# ID. With --save DIR the archive stays as DIR/image.tar, and DIR/image.id holds the image ID, for the steps that
# push it (scripts/release/image.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
save_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --save) save_dir="$2"; shift ;;
    *) echo "docker-scan: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# Pinned by digest: a scanner runs with access to the image and the CI secrets, and Trivy's own release channel
# was hijacked in 2026 (v0.69.4 to v0.69.6 were malicious). Change both parts together, from a verified source.
TRIVY_IMAGE=${TRIVY_IMAGE:-aquasec/trivy:0.74.0@sha256:62b1e65e8869bc4b4c6aa4fa2b21595256c7c2f6018a9d9ad61caf87187c1969}
IMAGE_NAME=${IMAGE_NAME:-event-sidecar:scan}
TRIVY_CACHE=${TRIVY_CACHE:-$HOME/.cache/trivy}

fail() {
  echo "docker-scan: FAILED: $*" >&2
  exit 1
}

command -v docker > /dev/null ||
  fail "the docker CLI is not installed. Building and scanning the image needs a Docker engine; the public pipeline runs this step."
if ! engine_error=$(docker info --format '{{.ServerVersion}}' 2>&1 > /dev/null); then
  fail "no Docker engine is reachable ($(echo "$engine_error" | grep -m1 -i -e error -e cannot || echo "docker info failed")). Building and scanning the image needs one; the public pipeline runs this step."
fi
[ -f "$root/docker/Dockerfile" ] || fail "docker/Dockerfile does not exist"

if [ -n "$save_dir" ]; then
  mkdir -p "$save_dir"
  out=$(cd "$save_dir" && pwd)
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/docker-scan.XXXXXX")
  trap 'rm -rf "$out"' EXIT
fi

echo "docker-scan: building $IMAGE_NAME from docker/Dockerfile"
docker build --file "$root/docker/Dockerfile" --iidfile "$out/image.id" --tag "$IMAGE_NAME" "$root"
docker save --output "$out/image.tar" "$IMAGE_NAME"
echo "docker-scan: built $(cat "$out/image.id"); scanning it with $TRIVY_IMAGE"

mkdir -p "$TRIVY_CACHE"
status=0
docker run --rm \
  --volume "$out:/scan:ro" \
  --volume "$root/.trivyignore.yaml:/policy/.trivyignore.yaml:ro" \
  --volume "$TRIVY_CACHE:/root/.cache/trivy" \
  "$TRIVY_IMAGE" image \
  --input /scan/image.tar \
  --scanners vuln \
  --severity HIGH,CRITICAL \
  --ignore-unfixed \
  --ignorefile /policy/.trivyignore.yaml \
  --show-suppressed \
  --exit-code 1 || status=$?

case "$status" in
  0) echo "docker-scan: PASSED: no fixable HIGH or CRITICAL vulnerability outside .trivyignore.yaml" ;;
  1) fail "fixable HIGH or CRITICAL vulnerabilities (above). Update the base image or dependency, or record a reviewed exception with a statement and expired_at in .trivyignore.yaml (docs/RELEASING.md)." ;;
  *) fail "the scanner itself failed (exit $status)" ;;
esac
