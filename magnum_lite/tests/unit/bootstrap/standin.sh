#!/bin/bash
# Stand-in for kubeadm, kubectl, kubelet, systemctl, containerd, curl,
# modprobe, sysctl and sleep in the bootstrap tests: records its name and
# arguments (one line, arguments separated by tabs) in $STANDIN_LOG, then
# behaves just enough like the real command. Knobs (files in $STANDIN_DIR):
# endpoint-up (the API answers), fail-<command> (print a few lines and
# fail when the command line contains the file's content), etcd-members
# (what `etcdctl member list -w simple` prints; `member remove ID` takes
# the member out), node-departures (what `kubectl get nodes` prints),
# version-<command>.
# STANDIN_SIGNAL_CURL (environment): a real curl that sends the signals.
set -eu
name=$(basename "$0")
line=$name
for arg in "$@"; do
    line="$line	$arg"
done
printf '%s\n' "$line" >>"$STANDIN_LOG"
fail=$STANDIN_DIR/fail-$name
if [ -f "$fail" ] && printf '%s' "$*" | grep -q -- "$(cat "$fail")"; then
    for i in $(seq 1 30); do
        echo "$name output line $i"
    done
    echo "$name: simulated failure" >&2
    exit 3
fi

curl_cmd() {
    args=("$@")
    url='' out='' data=''
    while [ $# -gt 0 ]; do
        case $1 in
            -o) out=$2; shift ;;
            --data-binary) data=$2; shift ;;
            -H|-X|--retry|--retry-delay|--max-time) shift ;;
            -*) ;;
            *) url=$1 ;;
        esac
        shift
    done
    if [ -n "$data" ]; then
        printf 'signal\t%s\n' "$(cat "${data#@}")" >>"$STANDIN_LOG"
        # The node stand-in (tests/harness/node_standin.py) signals the
        # real Heat: the handle's own command line, with the real curl.
        if [ -n "${STANDIN_SIGNAL_CURL:-}" ]; then
            exec "$STANDIN_SIGNAL_CURL" "${args[@]}"
        fi
        return 0
    fi
    case $url in
        */readyz) [ -f "$STANDIN_DIR/endpoint-up" ]; return ;;
        "$STANDIN_MIRROR_URL"/*) file=$STANDIN_MIRROR/${url#"$STANDIN_MIRROR_URL"/} ;;
        *) echo "curl: (6) could not resolve $url" >&2; return 6 ;;
    esac
    [ -f "$file" ] || { echo "curl: (22) 404 $url" >&2; return 22; }
    if [ -n "$out" ]; then cp "$file" "$out"; else cat "$file"; fi
}

kubectl_cmd() {
    case "$*" in
        *"get pods"*) echo "etcd-other-master etcd-$STANDIN_NODE" ;;
        *"member list"*) cat "$STANDIN_DIR/etcd-members" 2>/dev/null || true ;;
        # As etcd: the member is gone from later lists.
        *"member remove"*)
            id=${!#}
            sed -i "/^$id,/d" "$STANDIN_DIR/etcd-members" ;;
        *"get nodes"*) cat "$STANDIN_DIR/node-departures" 2>/dev/null || true ;;
        *"version --client"*)
            echo "Client Version: $(cat "$STANDIN_DIR/version-kube" 2>/dev/null || echo v0.0.1)" ;;
    esac
}

kubeadm_cmd() {
    case "$*" in
        # Like kubeadm: the first CA certificate only.
        "kubeconfig user"*) printf 'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: FIRST-CA-ONLY\n' ;;
        "version -o short") cat "$STANDIN_DIR/version-kube" 2>/dev/null || echo v0.0.1 ;;
    esac
}

case $name in
    curl) curl_cmd "$@" ;;
    kubectl) kubectl_cmd "$@" ;;
    kubeadm) kubeadm_cmd "$@" ;;
    kubelet) echo "Kubernetes $(cat "$STANDIN_DIR/version-kube" 2>/dev/null || echo v0.0.1)" ;;
    containerd) echo "containerd github.com/containerd/containerd/v2 $(cat "$STANDIN_DIR/version-containerd" 2>/dev/null || echo v0.0.1) deadbeef" ;;
    *) ;;
esac
