#!/usr/bin/env bash
# Moves the scanned sidecar image to the registry by digest; never rebuilds it.
#
#   image.sh stage DIR
#       After `docker-scan.sh --save DIR` passed, in the same job: pushes the image whose ID is in DIR/image.id as
#       $IMAGE_REPO:staging-<commit> and writes its registry digest ($IMAGE_REPO@sha256:...) to DIR/image.digest.
#   image.sh publish DIGEST_FILE COMMIT
#       In the release job: tags that digest with the sidecar version of COMMIT (the release commit) and `latest`,
#       on the registry itself (a manifest copy, no pull, no build). Refuses to move a version tag that already
#       names another digest; re-running it for the same digest is harmless.
#
# Needs IMAGE_REPO (e.g. docker.io/<org>/event-sidecar) and a logged-in docker CLI.
set -euo pipefail

fail() {
  echo "image: FAILED: $*" >&2
  exit 1
}
: "${IMAGE_REPO:?image: IMAGE_REPO is not set (for example docker.io/<org>/event-sidecar)}"

registry_digest() {
  docker buildx imagetools inspect --format '{{.Manifest.Digest}}' "$1" 2> /dev/null || true
}

case "${1:-}" in
  stage)
    dir=${2:?usage: image.sh stage DIR}
    id=$(cat "$dir/image.id")
    commit=${CIRCLE_SHA1:-$(git rev-parse HEAD)}
    staging="$IMAGE_REPO:staging-$commit"
    [ "$(docker image inspect --format '{{.Id}}' "$id")" = "$id" ] || fail "the scanned image $id is not in the local engine"
    docker tag "$id" "$staging"
    push_log=$(docker push "$staging" | tee /dev/stderr)
    digest=$(printf '%s\n' "$push_log" | sed -n 's/.*digest: \(sha256:[0-9a-f]\{64\}\).*/\1/p' | tail -n 1)
    [ -n "$digest" ] || fail "docker push printed no digest for $staging"
    echo "$IMAGE_REPO@$digest" > "$dir/image.digest"
    echo "image: staged $id as $staging = $IMAGE_REPO@$digest"
    ;;
  publish)
    digest_file=${2:?usage: image.sh publish DIGEST_FILE COMMIT}
    commit=${3:?usage: image.sh publish DIGEST_FILE COMMIT}
    ref=$(cat "$digest_file")
    digest=${ref#*@}
    [[ "$ref" == "$IMAGE_REPO@sha256:"* ]] || fail "$digest_file holds '$ref', not a digest of $IMAGE_REPO"
    version=$(git show "$commit:packages/sidecar/package.json" | node -e \
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).version))")
    existing=$(registry_digest "$IMAGE_REPO:$version")
    if [ -n "$existing" ] && [ "$existing" != "$digest" ]; then
      fail "$IMAGE_REPO:$version already names $existing, not the scanned $digest; a version is never re-pointed"
    fi
    tags=(--tag "$IMAGE_REPO:$version")
    # A prerelease (x.y.z-rc.1) never becomes latest.
    [[ "$version" == *-* ]] || tags+=(--tag "$IMAGE_REPO:latest")
    docker buildx imagetools create "${tags[@]}" "$ref"
    [ "$(registry_digest "$IMAGE_REPO:$version")" = "$digest" ] || fail "$IMAGE_REPO:$version does not resolve to $digest"
    echo "image: published $IMAGE_REPO:$version = $ref"
    ;;
  *)
    echo "usage: image.sh stage DIR | publish DIGEST_FILE COMMIT" >&2
    exit 2
    ;;
esac
