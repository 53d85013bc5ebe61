#!/usr/bin/env bash
# Commit what `make refresh` changed and push it to the default branch.
#
# Usage: commit-refresh.sh REFRESH_STATUS SUMMARY_JSON
#
#   REFRESH_STATUS  exit status of `make refresh` (0 = all metadata, 1 = some IDs have none,
#                   anything else = the run failed and wrote nothing worth committing). make
#                   exits 2 whatever status its recipe failed with, so a 2 whose summary says
#                   `"exit_status": 1` counts as 1 (the pipeline writes the summary only when
#                   it ran to the end)
#   SUMMARY_JSON    the file the pipeline wrote through $PIPELINE_SUMMARY; the commit message
#                   is made from it (a generic message if it is missing or unreadable)
#
# Environment:
#   NO_PUSH=1        commit only, never push (tests, local dry runs)
#   GITHUB_TOKEN     token used for the push (not needed with NO_PUSH=1)
#   GITHUB_REPOSITORY, DEFAULT_BRANCH   where to push; GITHUB_SERVER_URL defaults to github.com
#   PYTHON           interpreter used to read the summary (default python3)
#
# Status 1 is committed first and then returned, so the job fails visibly while the metadata
# that was found still lands. Any other non-zero status is returned before touching git.
set -euo pipefail

readonly PATHS=(README.md catalog.csv data/arxiv-cache.jsonl outputs)
readonly BOT_NAME='github-actions[bot]'
readonly BOT_EMAIL='41898282+github-actions[bot]@users.noreply.github.com'

if [[ $# -ne 2 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 REFRESH_STATUS SUMMARY_JSON" >&2
    exit 2
fi
status=$1
summary=$2

# The pipeline's own status, read from the summary, when make reports only that it failed.
pipeline_status() {
    "${PYTHON:-python3}" - "$summary" <<'PY' 2>/dev/null || true
import json
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    value = json.load(f).get("exit_status")
print(value if isinstance(value, int) and not isinstance(value, bool) else "")
PY
}
if ((status == 2)) && [[ -r $summary && $(pipeline_status) == 1 ]]; then
    status=1
fi

case $status in
    0 | 1) ;;
    *)
        echo "::error::make refresh failed with exit status $status; nothing committed" >&2
        exit "$status"
        ;;
esac

push=true
if [[ ${NO_PUSH:-} == 1 ]]; then
    push=false
else
    missing=()
    for var in GITHUB_TOKEN GITHUB_REPOSITORY DEFAULT_BRANCH; do
        [[ -n ${!var:-} ]] || missing+=("$var")
    done
    if ((${#missing[@]})); then
        echo "::error::cannot push: ${missing[*]} not set (set NO_PUSH=1 to only commit)" >&2
        exit 2
    fi
fi

# The commit message, from the summary JSON; a generic one when it is missing or unreadable.
message() {
    local fallback='Weekly refresh of arXiv metadata'
    if [[ ! -r $summary ]]; then
        echo "$fallback"
        return
    fi
    "${PYTHON:-python3}" - "$summary" "$status" <<'PY' || echo "$fallback"
import json
import sys

path, status = sys.argv[1], int(sys.argv[2])
with open(path, encoding="utf-8") as f:
    s = json.load(f)


def n(key: str) -> int:
    value = s.get(key, 0)
    return len(value) if isinstance(value, list) else int(value)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


parts = []
if n("updated"):
    parts.append(plural(n("updated"), "paper") + " updated")
if n("new"):
    parts.append(f"{n('new')} new" if parts else plural(n("new"), "new paper"))
missing = {k: s.get(k) or [] for k in ("not_found", "invalid", "unreachable")}
without = sum(len(ids) for ids in missing.values())
if without:
    parts.append(f"{without} without metadata")
lines = [
    "Weekly refresh: " + (", ".join(parts) if parts else "outputs regenerated"),
    "",
    f"{n('links')} links, {n('arxiv_links')} to arXiv, {n('papers')} distinct papers; "
    f"{n('fetched')} fetched, {n('from_cache')} from cache; "
    f"{n('new')} new, {n('updated')} updated, {n('unchanged')} unchanged.",
]
for key, ids in missing.items():
    if ids:
        more = f" and {len(ids) - 20} more" if len(ids) > 20 else ""
        lines.append(f"{key.replace('_', ' ')}: {', '.join(map(str, ids[:20]))}{more}")
if status:
    lines.append(f"The pipeline exited with status {status}.")
# Printed only once everything is known: a malformed summary prints nothing, so the caller
# falls back to the generic message instead of half a message.
print("\n".join(lines))
PY
}

changed=$(git status --porcelain --untracked-files=all -- "${PATHS[@]}")
if [[ -z $changed ]]; then
    echo "nothing changed in ${PATHS[*]}; no commit"
else
    echo "changed:"
    echo "$changed"
    for path in "${PATHS[@]}"; do
        # A path that neither exists nor is tracked would make `git add` fail.
        if [[ -e $path ]] || git ls-files --error-unmatch -- "$path" >/dev/null 2>&1; then
            git add --all -- "$path"
        fi
    done
    git -c user.name="$BOT_NAME" -c user.email="$BOT_EMAIL" commit --quiet --file=- <<<"$(message)"
    git log -1 --stat --format='committed %h: %s'
    if $push; then
        server=${GITHUB_SERVER_URL:-https://github.com}
        # The checkout keeps no credentials (persist-credentials: false): the token is used for
        # this one push only. GitHub masks it in the log.
        git push --quiet \
            "https://x-access-token:${GITHUB_TOKEN}@${server#https://}/${GITHUB_REPOSITORY}.git" \
            "HEAD:refs/heads/${DEFAULT_BRANCH}"
        echo "pushed to ${DEFAULT_BRANCH}"
    else
        echo "NO_PUSH=1: not pushed"
    fi
fi

if ((status == 1)); then
    echo "::error::some arXiv IDs have no metadata (see the summary above); what was found is committed" >&2
    exit 1
fi
