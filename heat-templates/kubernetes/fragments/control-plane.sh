#!/bin/bash
# Masters: kubeadm init on the first master, kubeadm join --control-plane
# on the others; stacked etcd.
#
# Who initialises: the master of index 0, and only while the
# control-plane endpoint does not answer (ML_PROBE_TRIES probes,
# ML_PROBE_DELAY seconds apart). At cluster create nothing answers yet and
# master 0 runs kubeadm init; a master 0 that replaces an earlier one
# (upgrade) finds the API up behind the load balancer and joins. Every
# other master waits for the endpoint and joins.

ML_PROBE_TRIES=${ML_PROBE_TRIES:-6}
ML_PROBE_DELAY=${ML_PROBE_DELAY:-5}
ML_JOIN_TRIES=${ML_JOIN_TRIES:-360}
ML_JOIN_DELAY=${ML_JOIN_DELAY:-10}
ML_ADMIN=$ML_ETC/bootstrap-admin.conf
ML_PKI=$ML_ROOT/etc/kubernetes/pki

ml_first_master() {
    [ "$NODE_INDEX" = 0 ] || return 1
    ! ml_retry "$ML_PROBE_TRIES" "$ML_PROBE_DELAY" ml_endpoint_answers
}

ml_kubectl() {
    kubectl --kubeconfig "$ML_ADMIN" "$@"
}

# ca.crt holds every Kubernetes CA the cluster trusts, the signing one
# first: two during a CA rotation (the conductor's phases trust, sign,
# drop). kubeadm signs with the first certificate of the file, but
# kube-controller-manager refuses a bundle as its signing certificate, so
# it gets the first certificate alone (kubeadm-config.sh points it here).
ml_write_signing_ca() {
    awk '/-----BEGIN CERTIFICATE-----/ {n++} n == 1' "$ML_PKI/ca.crt" \
        >"$ML_PKI/ca-signing.crt.part"
    mv "$ML_PKI/ca-signing.crt.part" "$ML_PKI/ca-signing.crt"
}

ml_ca_bundle_base64() {
    base64 -w0 <"$ML_PKI/ca.crt"
}

# kubeadm writes only the first CA certificate into the kubeconfigs it
# makes; during a rotation the API servers behind the endpoint present
# either CA's certificate, so a kubeconfig must trust the whole bundle.
ml_trust_bundle_in() {
    data=$(ml_ca_bundle_base64)
    sed -i "s|^\( *certificate-authority-data:\).*|\1 $data|" "$1"
}

# cluster-info (kube-public) is what a joining node trusts after its
# token discovery; kubeadm init publishes the first CA certificate only.
# Every master publishes the bundle it holds: in the phase that drops the
# old CA, the first new master makes joining nodes forget it. The bootstrap
# signer signs the new content for the join token again.
ml_publish_cluster_ca() {
    manifest=$ML_ETC/cluster-info.yaml
    cat >"$manifest" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-info
  namespace: kube-public
data:
  kubeconfig: |
    apiVersion: v1
    kind: Config
    clusters:
    - name: ""
      cluster:
        certificate-authority-data: $(ml_ca_bundle_base64)
        server: https://$CONTROL_PLANE_ENDPOINT
    contexts: null
    current-context: ""
    preferences: {}
    users: null
YAML
    ml_kubectl apply --server-side --force-conflicts \
        --field-manager=magnum-lite -f "$manifest"
}

# After init or join: this node's kubelet and admin kubeconfigs trust the
# bundle (the kubelet reads its kubeconfig at start), and cluster-info
# shows it.
ml_trust_everywhere() {
    for conf in "$ML_ROOT/etc/kubernetes/kubelet.conf" \
            "$ML_ROOT/etc/kubernetes/admin.conf"; do
        if [ -f "$conf" ]; then
            ml_trust_bundle_in "$conf"
        fi
    done
    systemctl restart kubelet
    ml_publish_cluster_ca
}

# An admin kubeconfig signed by the cluster CA this master holds.
ml_admin_kubeconfig() {
    umask 077
    kubeadm kubeconfig user --config "$ML_ETC/kubeadm-init.yaml" \
        --client-name magnum-lite:bootstrap --org system:masters \
        >"$ML_ADMIN.part"
    ml_trust_bundle_in "$ML_ADMIN.part"
    mv "$ML_ADMIN.part" "$ML_ADMIN"
}

ml_init_first_master() {
    ml_write_signing_ca
    kubeadm init --config "$ML_ETC/kubeadm-init.yaml" --upload-certs
    ml_admin_kubeconfig
    ml_trust_everywhere
}

# etcdctl inside the etcd pod $1 (the etcd image carries etcdctl).
ml_etcdctl() {
    pod=$1
    shift
    ml_kubectl -n kube-system exec "$pod" -- etcdctl \
        --endpoints=https://127.0.0.1:2379 \
        --cacert=/etc/kubernetes/pki/etcd/ca.crt \
        --cert=/etc/kubernetes/pki/etcd/server.crt \
        --key=/etc/kubernetes/pki/etcd/server.key "$@"
}

# IDs of the members `member list -w simple` shows (id, status, name,
# peer URL, ...) that match an awk condition on $name and $peer.
ml_etcd_members() {
    pod=$1
    condition=$2
    ml_etcdctl "$pod" member list -w simple | tr -d ' ' \
        | awk -F, -v name="$NODE_NAME" -v peer="https://$NODE_IP:2380" \
            "$condition {print \$1}"
}

# Before joining: a member still registered at this node's peer URL is a
# node this one replaces on the same port; kubeadm would reuse it with an
# empty data directory. A member of this node's name at another peer URL
# is the node this one replaces on a new port (a whole member rebuilt):
# usually dead, and adding a member beside a dead one can be refused by
# etcd (fewer started members than the new quorum). Remove both (through
# another master's etcd) so the join adds this node's member once.
ml_remove_member_at_my_address() {
    pod=$(ml_kubectl -n kube-system get pods -l component=etcd \
        -o 'jsonpath={.items[*].metadata.name}' | tr ' ' '\n' \
        | grep -vx "etcd-$NODE_NAME" | head -n 1 || true)
    if [ -z "$pod" ]; then
        echo "no other etcd member to ask"
        return 0
    fi
    # shellcheck disable=SC2016 # an awk condition
    for id in $(ml_etcd_members "$pod" '$4 == peer || $3 == name'); do
        echo "removing etcd member $id of $NODE_NAME or at https://$NODE_IP:2380"
        ml_etcdctl "$pod" member remove "$id"
    done
}

# After joining: members with this node's name at another peer URL are the
# node this one replaced.
ml_remove_replaced_members() {
    # shellcheck disable=SC2016 # an awk condition
    for id in $(ml_etcd_members "etcd-$NODE_NAME" \
            '$3 == name && $4 != peer'); do
        echo "removing etcd member $id of the replaced $NODE_NAME"
        ml_etcdctl "etcd-$NODE_NAME" member remove "$id"
    done
}

ml_join_control_plane() {
    ml_write_signing_ca
    ml_retry "$ML_JOIN_TRIES" "$ML_JOIN_DELAY" ml_endpoint_answers
    ml_admin_kubeconfig
    # The certificates kubeadm init uploaded expire after two hours: this
    # master holds the same ones (pre-placed), so it uploads them again
    # for its own join, encrypted with the cluster's certificate key.
    kubeadm init phase upload-certs --upload-certs \
        --config "$ML_ETC/kubeadm-init.yaml" --kubeconfig "$ML_ADMIN"
    ml_remove_member_at_my_address
    # kubeadm refuses to join over a Ready node of the same name.
    ml_kubectl delete node "$NODE_NAME" --ignore-not-found
    kubeadm join --config "$ML_ETC/kubeadm-join.yaml"
    ml_remove_replaced_members
    ml_trust_everywhere
}

# Every master removes the etcd members of masters leaving the cluster
# (etcd-departures.sh; the conductor annotates their Nodes).
ml_install_departures_timer() {
    units=$ML_ROOT/etc/systemd/system
    mkdir -p "$units"
    cat >"$units/magnum-lite-etcd-departures.service" <<UNIT
[Unit]
Description=magnum-lite: remove the etcd members of leaving masters

[Service]
Type=oneshot
ExecStart=/bin/bash /usr/local/lib/magnum-lite/etcd-departures.sh
UNIT
    cat >"$units/magnum-lite-etcd-departures.timer" <<UNIT
[Unit]
Description=magnum-lite: remove the etcd members of leaving masters

[Timer]
OnBootSec=30s
OnUnitActiveSec=10s

[Install]
WantedBy=timers.target
UNIT
    systemctl daemon-reload
    systemctl enable --now magnum-lite-etcd-departures.timer
}

ml_join_worker() {
    ml_retry "$ML_JOIN_TRIES" "$ML_JOIN_DELAY" ml_endpoint_answers
    kubeadm join --config "$ML_ETC/kubeadm-join.yaml"
}
