#!/usr/bin/env bash
# The Bonsai publish action's script: pack (signed with BONSAI_SIGNING_KEY), then publish the release for
# the pushed tag. Reads what GitHub Actions sets (GITHUB_REF_TYPE, GITHUB_REF_NAME, GITHUB_REPOSITORY,
# GITHUB_API_URL, GITHUB_OUTPUT) and the action's inputs (INPUT_*). BONSAI_BIN overrides the CLI (tests).
set -euo pipefail

fail() {
  echo "::error::$*" >&2
  exit 1
}

[ "${GITHUB_REF_TYPE:-}" = tag ] || fail "this action publishes a tag: run it on 'push: tags' (this run is for ${GITHUB_REF_TYPE:-no} ref ${GITHUB_REF_NAME:-})"
tag="${GITHUB_REF_NAME:?GITHUB_REF_NAME is not set}"
repository="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
directory="${INPUT_DIRECTORY:-.}"
read -r -a bonsai <<<"${BONSAI_BIN:-bonsai}"
read -r -a publish_args <<<"${INPUT_PUBLISH_ARGS:-}"

if [ -z "${BONSAI_SIGNING_KEY:-}" ]; then
  if [ "${INPUT_REQUIRE_SIGNATURE:-true}" = true ]; then
    fail "signing-key is empty: set it from a secret holding the text of a bonsai keygen secret key, or set require-signature: 'false'"
  fi
  echo "::warning::signing-key is empty: the checksum file is not signed"
fi

# The signature's timestamp and the archives' mtimes come from the tagged commit: reproducible.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && git -C "$directory" rev-parse --verify -q "$tag^{commit}" >/dev/null; then
  SOURCE_DATE_EPOCH="$(git -C "$directory" log -1 --format=%ct "$tag^{commit}")"
  export SOURCE_DATE_EPOCH
fi

"${bonsai[@]}" pack "$directory" --version "$tag" --repo "${repository#*/}"
"${bonsai[@]}" publish "$directory" --repo "$repository" --tag "$tag" "${publish_args[@]}"

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "tag=$tag" >>"$GITHUB_OUTPUT"
fi
