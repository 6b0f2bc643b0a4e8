#!/bin/bash
# Common functions of the node bootstrap: logging, the step runner and the
# signal to Heat. Sourced by bootstrap.sh; every path a script writes goes
# under ML_ROOT (empty on a node, a temporary directory in tests) and every
# command comes from PATH.

ML_ROOT=${ML_ROOT:-}
ML_ETC=$ML_ROOT/etc/magnum-lite
ML_STATE=${ML_STATE:-$ML_ROOT/var/lib/magnum-lite}
ML_TAIL_LINES=${ML_TAIL_LINES:-20}

ml_log() {
    printf '%s magnum-lite: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# The last lines of a file as one JSON string body (no quotes around it).
ml_json_lines() {
    tail -n "$ML_TAIL_LINES" "$1" | tr -d '\000-\010\013-\037' \
        | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/ /g' \
        | awk '{printf "%s\\n", $0}'
}

# Tell Heat's wait condition: ml_signal SUCCESS|FAILURE REASON-JSON-BODY.
# WC_NOTIFY is the handle's curl command line (wc-notify, 0600). The wait
# condition counts distinct signal ids up to the node generation
# (drivers/heat/generations.py): SUCCESS goes out under ids 1..N, so both
# a new member and the replacement of an older node complete it, and a
# retry overwrites an earlier FAILURE; FAILURE goes out under id N.
ml_signal() {
    status=$1
    reason=$2
    last=${NODE_GENERATION:-1}
    id=$last
    [ "$status" = SUCCESS ] && id=1
    while [ "$id" -le "$last" ]; do
        body=$ML_STATE/signal-$id.json
        printf '{"status": "%s", "reason": "%s", "data": "%s", "id": "%s"}\n' \
            "$status" "$reason" "$NODE_NAME" "$id" >"$body"
        # shellcheck disable=SC2016 # $1 expands in the inner shell.
        sh -c "$WC_NOTIFY"' --retry 10 --retry-delay 5 --data-binary "@$1"' \
            sh "$body"
        id=$((id + 1))
    done
}

# Run one step, its output captured in $ML_STATE/steps/NAME.log. On
# failure tell Heat which step failed with its last lines, then exit.
ml_step() {
    name=$1
    shift
    log=$ML_STATE/steps/$name.log
    ml_log "step $name: start"
    set +e
    (set -eu; "$@") >"$log" 2>&1
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        ml_log "step $name: done"
        return 0
    fi
    ml_log "step $name: failed with status $rc"
    cat "$log" >&2
    ml_signal FAILURE \
        "step $name failed (exit $rc) on $NODE_NAME:\\n$(ml_json_lines "$log")"
    exit "$rc"
}

# Retry a command: ml_retry TRIES DELAY COMMAND...
ml_retry() {
    tries=$1
    delay=$2
    shift 2
    n=1
    until "$@"; do
        if [ "$n" -ge "$tries" ]; then
            return 1
        fi
        n=$((n + 1))
        sleep "$delay"
    done
}

# An image reference moved to CONTAINER_INFRA_PREFIX (prefix + basename:tag,
# Magnum's semantics); unchanged without a prefix.
ml_image() {
    if [ -z "${CONTAINER_INFRA_PREFIX:-}" ]; then
        printf '%s\n' "$1"
        return
    fi
    printf '%s/%s\n' "${CONTAINER_INFRA_PREFIX%/}" "${1##*/}"
}

# Rewrite every "image:" of a manifest to the prefix (a filter).
ml_rewrite_images() {
    if [ -z "${CONTAINER_INFRA_PREFIX:-}" ]; then
        cat
        return
    fi
    sed -E "s#^([[:space:]-]*image:[[:space:]]*)[\"']?([^\"'[:space:]]*/)?([^/\"'[:space:]]+)[\"']?#\\1${CONTAINER_INFRA_PREFIX%/}/\\3#"
}

# Base URL of downloads: the mirror, else upstream.
ml_base_url() {
    printf '%s\n' "${BINARY_MIRROR_URL:-https://dl.k8s.io}" | sed 's#/*$##'
}

# The sha256 a file must have: the pinned one if given, else the line of
# the mirror directory's SHA256SUMS (upstream: the file's .sha256).
ml_expected_sum() {
    pinned=$1
    url=$2
    if [ -n "$pinned" ]; then
        printf '%s\n' "$pinned"
        return
    fi
    if [ -n "${BINARY_MIRROR_URL:-}" ]; then
        curl -fsSL --retry 5 "${url%/*}/SHA256SUMS" \
            | awk -v f="${url##*/}" '$2 == f || $2 == "*" f {print $1}'
    else
        curl -fsSL --retry 5 "$url.sha256" | awk '{print $1}'
    fi
}

# Download URL to DEST and check its sha256: ml_fetch URL DEST [PINNED].
ml_fetch() {
    url=$1
    dest=$2
    sum=$(ml_expected_sum "${3:-}" "$url")
    if [ -z "$sum" ]; then
        echo "no sha256 known for $url" >&2
        return 1
    fi
    mkdir -p "$(dirname "$dest")"
    curl -fsSL --retry 5 -o "$dest.part" "$url"
    printf '%s  %s\n' "$sum" "$dest.part" | sha256sum -c - >&2
    mv "$dest.part" "$dest"
}

# True when the API behind the control-plane endpoint answers.
ml_endpoint_answers() {
    curl -ksf --max-time 5 "https://$CONTROL_PLANE_ENDPOINT/readyz" \
        >/dev/null 2>&1
}

# True for a setting of "true" (Heat renders booleans as true/false).
ml_enabled() {
    [ "${1:-false}" = true ] || [ "${1:-false}" = True ]
}

# Read the node's settings.
ml_load_env() {
    for file in node.env versions.env bootstrap.env; do
        # shellcheck disable=SC1090 # written by cloud-init.
        . "$ML_ETC/$file"
    done
    if [ -f "$ML_ETC/cloud.env" ]; then
        # shellcheck disable=SC1091 # written by cloud-init (masters).
        . "$ML_ETC/cloud.env"
    fi
    CERTIFICATE_KEY=${CERTIFICATE_KEY:-}
    WC_NOTIFY=$(cat "$ML_ETC/wc-notify")
    NODE_NAME=$(printf '%s' "$NODE_NAME" | tr '[:upper:]_.' '[:lower:]--')
    mkdir -p "$ML_STATE/steps"
}
