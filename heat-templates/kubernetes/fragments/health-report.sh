#!/bin/bash
# Masters: the cluster reports its own health to magnum-lite, as Magnum's
# auto-healer does (PATCH /v1/clusters/<uuid>, microversion 1.10), with
# the cluster's own credentials (cloud.env). This is how a private
# cluster, whose API the conductors cannot reach, still gets a health.
#
# Sourced by bootstrap.sh: ml_install_health_reporter writes a systemd
# timer that runs this file every HEALTH_REPORT_INTERVAL seconds. Run as
# a program, it reads this master's own API server (the node's address,
# not the load balancer) and sends one report. Every master reports; the
# API keeps the last report, so any master left standing keeps the
# health current.

ML_HEALTH_UNIT=magnum-lite-health
# Keystone tokens last an hour by default: one is reused for this long.
ML_HEALTH_TOKEN_MINUTES=${ML_HEALTH_TOKEN_MINUTES:-30}
# The node conditions reported, each with the status a healthy node has
# (the conductor's own check, magnum_lite/cluster/health.py, uses the same).
ML_HEALTH_CONDITIONS="Ready=True MemoryPressure=False DiskPressure=False PIDPressure=False NetworkUnavailable=False"

# Bootstrap step (masters): install and start the timer, when the
# cluster has credentials and a Magnum API URL to report to.
ml_install_health_reporter() {
    if [ -z "${MAGNUM_URL:-}" ] || [ -z "${OS_AUTH_URL:-}" ]; then
        echo "no magnum-lite API URL or no cloud credentials: the cluster" \
            "does not report its own health"
        return 0
    fi
    units=$ML_ROOT/etc/systemd/system
    mkdir -p "$units"
    cat >"$units/$ML_HEALTH_UNIT.service" <<EOF
[Unit]
Description=Report this cluster's health to magnum-lite
After=kubelet.service

[Service]
Type=oneshot
ExecStart=/bin/bash $ML_LIB/health-report.sh
EOF
    cat >"$units/$ML_HEALTH_UNIT.timer" <<EOF
[Unit]
Description=Report this cluster's health to magnum-lite every ${HEALTH_REPORT_INTERVAL}s

[Timer]
OnBootSec=${HEALTH_REPORT_INTERVAL}
OnUnitActiveSec=${HEALTH_REPORT_INTERVAL}
RandomizedDelaySec=5

[Install]
WantedBy=timers.target
EOF
    systemctl daemon-reload
    systemctl enable --now "$ML_HEALTH_UNIT.timer"
}

# kubectl on this master's own API server, as the cluster admin.
ml_health_kubectl() {
    kubectl --kubeconfig "$ML_ROOT/etc/kubernetes/admin.conf" \
        --server "https://$NODE_IP:$API_PORT" --request-timeout 10s "$@"
}

# One line per node: its name, then TYPE=STATUS for each condition.
ml_health_nodes() {
    ml_health_kubectl get nodes -o \
        'jsonpath={range .items[*]}{.metadata.name}{range .status.conditions[*]}{" "}{.type}={.status}{end}{"\n"}{end}'
}

# Text safe inside a JSON string inside a JSON string, 255 characters.
ml_health_text() {
    printf '%s' "$1" | tr '\n' ' ' | tr -cd 'A-Za-z0-9 ._:;,/()+=-' \
        | cut -c1-255
}

# Sets HEALTH_STATUS and HEALTH_REASON (a JSON object, Magnum's shape:
# {"api": "ok", "<node>.Ready": "True", ...}) from what the API answers.
ml_health_assess() {
    healthy=true
    if readyz=$(ml_health_kubectl get --raw '/readyz?verbose' 2>&1); then
        api=ok
    else
        healthy=false
        failed=$(printf '%s\n' "$readyz" | sed -n 's/^\[-\]//p' \
            | tr '\n' ';')
        api="not ready: $(ml_health_text "${failed:-$readyz}")"
    fi
    reason="\"api\": \"$(ml_health_text "$api")\""
    if nodes=$(ml_health_nodes 2>/dev/null) && [ -n "$nodes" ]; then
        pairs=$(printf '%s\n' "$nodes" | awk -v want="$ML_HEALTH_CONDITIONS" '
            BEGIN { n = split(want, w, " ")
                    for (i = 1; i <= n; i++) { split(w[i], kv, "=")
                        order[i] = kv[1]; good[kv[1]] = kv[2] } }
            NF == 0 { next }
            { delete seen
              for (i = 2; i <= NF; i++) { split($i, kv, "=")
                  seen[kv[1]] = kv[2] }
              if (!("Ready" in seen)) seen["Ready"] = "Unknown"
              for (i = 1; i <= n; i++) { k = order[i]
                  if (!(k in seen)) continue
                  printf "%s.%s=%s\n", $1, k, seen[k]
                  if (seen[k] != good[k]) print "UNHEALTHY" } }')
        if printf '%s\n' "$pairs" | grep -qx UNHEALTHY; then
            healthy=false
        fi
        while IFS='=' read -r key value; do
            if [ -z "$key" ] || [ "$key" = UNHEALTHY ]; then
                continue
            fi
            reason="$reason, \"$(ml_health_text "$key")\": \"$(ml_health_text "$value")\""
        done <<EOF
$pairs
EOF
    else
        healthy=false
        reason="$reason, \"nodes\": \"not listed\""
    fi
    HEALTH_REASON="{$reason}"
    if $healthy; then HEALTH_STATUS=HEALTHY; else HEALTH_STATUS=UNHEALTHY; fi
}

# The Keystone authentication request for the cluster's credentials.
ml_health_auth_body() {
    if [ -n "${OS_APPLICATION_CREDENTIAL_ID:-}" ]; then
        printf '{"auth": {"identity": {"methods": ["application_credential"], "application_credential": {"id": "%s", "secret": "%s"}}}}' \
            "$OS_APPLICATION_CREDENTIAL_ID" "$OS_APPLICATION_CREDENTIAL_SECRET"
        return
    fi
    if [ -n "${OS_TRUSTEE_USER_ID:-}" ]; then
        user=$(printf '"id": "%s"' "$OS_TRUSTEE_USER_ID")
    else
        user=$(printf '"name": "%s", "domain": {"id": "%s"}' \
            "$OS_TRUSTEE_USERNAME" "$OS_TRUSTEE_DOMAIN_ID")
    fi
    printf '{"auth": {"identity": {"methods": ["password"], "password": {"user": {%s, "password": "%s"}}}, "scope": {"OS-TRUST:trust": {"id": "%s"}}}}' \
        "$user" "$OS_TRUSTEE_PASSWORD" "$OS_TRUST_ID"
}

# A token in the file $ML_HEALTH_TOKEN (a header line, 0600): reused
# while younger than ML_HEALTH_TOKEN_MINUTES. Secrets never go on a
# command line, where ps would show them.
ml_health_token() {
    if [ -s "$ML_HEALTH_TOKEN" ] && [ -n "$(find "$ML_HEALTH_TOKEN" \
            -mmin "-$ML_HEALTH_TOKEN_MINUTES" 2>/dev/null)" ]; then
        return 0
    fi
    umask 077
    ml_health_auth_body >"$ML_HEALTH_WORK/auth.json"
    curl -s --max-time 20 -o /dev/null -D "$ML_HEALTH_WORK/auth.headers" \
        -H 'Content-Type: application/json' \
        --data-binary "@$ML_HEALTH_WORK/auth.json" \
        "${OS_AUTH_URL%/}/auth/tokens"
    token=$(sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *//p' \
        "$ML_HEALTH_WORK/auth.headers" | tr -d '\r')
    rm -f "$ML_HEALTH_WORK/auth.json" "$ML_HEALTH_WORK/auth.headers"
    if [ -z "$token" ]; then
        echo "Keystone gave no token for the cluster's credentials" >&2
        return 1
    fi
    printf 'X-Auth-Token: %s\n' "$token" >"$ML_HEALTH_TOKEN"
}

# PATCH the report; prints the HTTP status.
ml_health_send() {
    curl -s --max-time 20 -o "$ML_HEALTH_WORK/answer" -w '%{http_code}' \
        -X PATCH -H "@$ML_HEALTH_TOKEN" \
        -H 'Content-Type: application/json' \
        -H 'OpenStack-API-Version: container-infra 1.10' \
        --data-binary "@$ML_HEALTH_WORK/report.json" \
        "${MAGNUM_URL%/}/clusters/$CLUSTER_UUID"
}

# One report: assess, authenticate, send (once more with a new token if
# the old one was refused).
ml_health_report() {
    ML_HEALTH_WORK=$ML_STATE/health
    ML_HEALTH_TOKEN=$ML_HEALTH_WORK/token
    mkdir -p "$ML_HEALTH_WORK"
    chmod 700 "$ML_HEALTH_WORK"
    ml_health_assess
    # The reason travels as a JSON string, as Magnum's auto-healer sends it.
    escaped=$(printf '%s' "$HEALTH_REASON" | sed 's/"/\\"/g')
    printf '[{"op": "replace", "path": "/health_status", "value": "%s"}, {"op": "replace", "path": "/health_status_reason", "value": "%s"}]' \
        "$HEALTH_STATUS" "$escaped" >"$ML_HEALTH_WORK/report.json"
    ml_health_token || return 1
    code=$(ml_health_send) || code=000
    if [ "$code" = 401 ]; then
        rm -f "$ML_HEALTH_TOKEN"
        ml_health_token || return 1
        code=$(ml_health_send) || code=000
    fi
    case $code in
        2*) echo "reported $HEALTH_STATUS" ;;
        *) echo "the report was refused ($code):" \
               "$(cat "$ML_HEALTH_WORK/answer" 2>/dev/null)" >&2
           return 1 ;;
    esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -eu
    ML_LIB=$(cd "$(dirname "$0")" && pwd)
    # shellcheck source=lib.sh
    . "$ML_LIB/lib.sh"
    ml_load_env
    ml_health_report
fi
