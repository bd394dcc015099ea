#!/usr/bin/env bash
# Versions the packages from conventional commits (lerna, independent mode; settings in lerna.json).
#
#   npm run release -- --dry-run
#       Shows the next version of every changed package and the CHANGELOG entries, from the commits since each
#       package's last release tag. Works in a throwaway clone of HEAD: nothing here is committed, tagged or pushed.
#
#   npm run release -- --push [--state-file FILE]          (the pipeline's release job, on main)
#       Commits the version bump and CHANGELOGs, tags them, and pushes commit and tags atomically to main, but only
#       if HEAD is still the tip of origin's main. The outcome goes to FILE as shell assignments:
#         state=released commit=<sha>   bump pushed; publish the artifacts of that commit
#         state=resume   commit=<sha>   an earlier run of this job already pushed the bump of HEAD; publish it
#         state=stale                   main has moved on: a later pipeline releases; nothing was done
#         state=unchanged               no package changed since its last release
#       Only a real failure (no git identity, push refused for another reason) exits non-zero.
set -euo pipefail

mode=""
state_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) mode=dry-run ;;
    --push) mode=push ;;
    --state-file) state_file="$2"; shift ;;
    *) echo "release: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$mode" ]; then
  echo "usage: npm run release -- --dry-run | --push [--state-file FILE]   (see docs/RELEASING.md)" >&2
  exit 2
fi

root=$(git rev-parse --show-toplevel)
lerna="$root/node_modules/.bin/lerna"
[ -x "$lerna" ] || { echo "release: lerna is not installed (run npm ci)" >&2; exit 2; }
branch=${RELEASE_BRANCH:-main}
remote=${RELEASE_REMOTE:-origin}
# lerna 9 embeds nx; a release needs neither its daemon nor its cloud cache.
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
RELEASE_MESSAGE_PREFIX='chore(release): publish'

# Prints "name old => new" for each package whose version differs between git revision $1 and the work tree.
version_changes() {
  local rev=$1 manifest old new name
  for manifest in packages/*/package.json; do
    name=$(node -p "require('./$manifest').name")
    new=$(node -p "require('./$manifest').version")
    old=$(git show "$rev:$manifest" 2>/dev/null | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(s?JSON.parse(s).version:'(new)'))")
    [ "$old" = "$new" ] || echo "$name $old => $new"
  done
}

write_state() {
  [ -n "$state_file" ] && printf '%s\n' "$@" > "$state_file"
  printf 'release: %s\n' "$@"
}

if [ "$mode" = dry-run ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/release-preview.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  head=$(git -C "$root" rev-parse HEAD)
  git clone --quiet --no-hardlinks "$root" "$work/repo"
  cd "$work/repo"
  # Preview on a branch named like the release branch, so lerna's allowBranch rule applies as it will there.
  git checkout --quiet -B "$branch" "$head"
  ln -s "$root/node_modules" node_modules
  echo node_modules >> .git/info/exclude
  if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
    echo "release: note: uncommitted changes are not part of the preview (it versions HEAD $head)"
  fi
  if [ -z "$(git tag --list '@event-sidecar/*')" ]; then
    echo "release: no release tags yet: every package counts as changed, versioned from its whole history"
  fi
  echo "release: dry run of lerna version on a throwaway clone of $head"
  if ! "$lerna" version --no-git-tag-version --no-push --yes > "$work/lerna.log" 2>&1; then
    cat "$work/lerna.log" >&2
    echo "release: lerna version failed" >&2
    exit 1
  fi
  changes=$(version_changes HEAD)
  if [ -z "$changes" ]; then
    echo "release: nothing to release: no package changed since its last release tag"
    exit 0
  fi
  echo "release: next versions (nothing committed, tagged or pushed):"
  while read -r line; do echo "  next version: $line"; done <<< "$changes"
  echo "release: the image would be tagged $(node -p "require('./packages/sidecar/package.json').version")"
  git add --intent-to-add -- 'packages/*/CHANGELOG.md'
  echo "release: changes the release commit would make:"
  git --no-pager diff --stat
  echo "release: CHANGELOG entries:"
  for changelog in $(git diff --name-only -- 'packages/*/CHANGELOG.md'); do
    echo "  --- $changelog"
    # The added lines, less the boilerplate header lerna writes into a new file.
    git --no-pager diff --no-color -- "$changelog" | sed -n '/^+++ /d; s/^+//p' |
      grep -v -e '^# Change Log$' -e '^All notable changes' -e '^See \[Conventional Commits\]' |
      sed '/./,$!d; s/^/    /'
  done
  exit 0
fi

# --push: the pipeline's release job.
cd "$root"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "release: the working tree has uncommitted changes; refusing to release" >&2
  exit 1
fi
head=$(git rev-parse HEAD)
git fetch --quiet --tags "$remote" "+refs/heads/$branch:refs/remotes/$remote/$branch"
tip=$(git rev-parse "$remote/$branch")

if [ "$head" != "$tip" ]; then
  # A re-run of this job after its bump was pushed (say, the image publication failed): resume publishing.
  if [ "$(git rev-parse "$tip^" 2>/dev/null || true)" = "$head" ] &&
    git log -1 --format=%s "$tip" | grep -q "^$RELEASE_MESSAGE_PREFIX" &&
    [ -n "$(git tag --points-at "$tip")" ]; then
    write_state state=resume "commit=$tip"
    exit 0
  fi
  echo "release: $remote/$branch is at $tip, not at this pipeline's $head: a later pipeline releases it."
  write_state state=stale
  exit 0
fi

git checkout --quiet -B "$branch" "$head"
tags_before=$(git tag --points-at HEAD | sort)
"$lerna" version --yes --no-push
new_head=$(git rev-parse HEAD)
if [ "$new_head" = "$head" ]; then
  write_state state=unchanged
  exit 0
fi
new_tags=$(comm -13 <(echo "$tags_before") <(git tag --points-at HEAD | sort))
refspecs=("HEAD:refs/heads/$branch")
while read -r tag; do [ -n "$tag" ] && refspecs+=("refs/tags/$tag:refs/tags/$tag"); done <<< "$new_tags"

# Atomic: the bump commit and its tags land together or not at all. The push is refused if main moved since the
# fetch above (it would not be a fast-forward), which is the race a second merge could cause.
if ! git push --atomic --porcelain "$remote" "${refspecs[@]}"; then
  git fetch --quiet "$remote" "+refs/heads/$branch:refs/remotes/$remote/$branch"
  if [ "$(git rev-parse "$remote/$branch")" != "$head" ]; then
    echo "release: $branch moved while this release ran; nothing was pushed, a later pipeline releases it."
    while read -r tag; do [ -n "$tag" ] && git tag -d "$tag" > /dev/null; done <<< "$new_tags"
    git reset --quiet --hard "$head"
    write_state state=stale
    exit 0
  fi
  echo "release: pushing the release commit failed" >&2
  exit 1
fi
write_state state=released "commit=$new_head"
