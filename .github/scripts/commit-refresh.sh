#!/usr/bin/env bash
# Commit the files the refresh wrote, with the message its summary carries, and push them.
#
# Usage: commit-refresh.sh STATUS SUMMARY_JSON
#   STATUS        the pipeline's exit status: 0 and 1 are committed (1 is returned afterwards,
#                 so the job fails visibly while what was found still lands); anything else
#                 returns at once, before git
#   SUMMARY_JSON  written by `python -m pipeline enrich` ($PIPELINE_SUMMARY): `written` lists
#                 the changed files, `commit_message` the message (pipeline/summary.py)
# Environment: NO_PUSH=1 commits only; otherwise GITHUB_TOKEN, GITHUB_REPOSITORY, DEFAULT_BRANCH.
set -euo pipefail
if [[ $# -ne 2 ]]; then
    echo "usage: $0 STATUS SUMMARY_JSON" >&2
    exit 2
fi
status=$1 summary=$2
if [[ $status != [01] ]]; then
    echo "::error::the refresh failed with exit status $status; nothing committed" >&2
    exit "$status"
fi
if [[ ${NO_PUSH:-} != 1 && -z ${GITHUB_TOKEN:-} ]]; then
    echo "::error::cannot push: GITHUB_TOKEN is not set (NO_PUSH=1 only commits)" >&2
    exit 2
fi
mapfile -t written < <(jq -r '.written[]' "$summary")
if ((${#written[@]} == 0)); then
    echo "nothing changed; no commit"
else
    git add -- "${written[@]}"
    jq -r .commit_message "$summary" | git -c user.name='github-actions[bot]' \
        -c user.email='41898282+github-actions[bot]@users.noreply.github.com' commit -q -F -
    git log -1 --stat --format='committed %h: %s'
    if [[ ${NO_PUSH:-} != 1 ]]; then
        # The checkout keeps no credentials: the token is used for this one push (GitHub masks it).
        git push -q "https://x-access-token:${GITHUB_TOKEN}@github.com/${GITHUB_REPOSITORY}.git" \
            "HEAD:refs/heads/${DEFAULT_BRANCH}"
    fi
fi
if ((status == 1)); then
    echo "::error::some arXiv papers have no fresh metadata (see the summary above); what was found is committed" >&2
fi
exit "$status"
