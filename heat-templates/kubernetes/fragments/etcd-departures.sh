#!/bin/bash
# Masters only, every 10 s (systemd timer magnum-lite-etcd-departures,
# installed by control-plane.sh): remove the etcd member of every master
# that is leaving the cluster.
#
# The conductor marks a leaving master by annotating its Node
# magnum-lite.openstack.org/etcd-member=leaving while Heat holds its server
# (a pre-delete hook; magnum_lite/drivers/heat/departures.py). Any master
# that is not leaving removes that member through its own etcd and
# annotates the Node "removed"; the conductor then lets Heat delete the
# server. etcd refuses a removal that would leave fewer started members
# than a quorum (strict reconfiguration check): then this run fails and the
# next one tries again.
set -eu

ML_LIB=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$ML_LIB/lib.sh"
# shellcheck source=control-plane.sh
. "$ML_LIB/control-plane.sh"

ML_DEPARTURE=magnum-lite.openstack.org/etcd-member

# "name state" of every Node; state "<none>" when it is not annotated.
ml_node_departures() {
    ml_kubectl get nodes --no-headers \
        -o "custom-columns=NAME:.metadata.name,STATE:.metadata.annotations.${ML_DEPARTURE//./\\.}"
}

# IDs of the etcd members named $1, as this master's etcd lists them.
ml_member_ids_named() {
    ml_etcdctl "etcd-$NODE_NAME" member list -w simple | tr -d ' ' \
        | awk -F, -v name="$1" '$3 == name {print $1}'
}

ml_remove_departed_member() {
    leaving=$1
    for id in $(ml_member_ids_named "$leaving"); do
        ml_log "removing etcd member $id of the leaving master $leaving"
        ml_etcdctl "etcd-$NODE_NAME" member remove "$id"
    done
    if [ -n "$(ml_member_ids_named "$leaving")" ]; then
        ml_log "etcd still lists $leaving"
        return 1
    fi
    ml_kubectl annotate node "$leaving" --overwrite "$ML_DEPARTURE=removed"
}

ml_etcd_departures() {
    departures=$(ml_node_departures)
    # A leaving master leaves its removal to the masters that stay.
    if printf '%s\n' "$departures" \
            | awk -v me="$NODE_NAME" '$1 == me && $2 == "leaving" {found=1}
                                      END {exit !found}'; then
        return 0
    fi
    for leaving in $(printf '%s\n' "$departures" \
            | awk '$2 == "leaving" {print $1}'); do
        ml_remove_departed_member "$leaving"
    done
}

ml_load_env
ml_etcd_departures
