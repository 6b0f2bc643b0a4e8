#!/bin/bash
# The kubeadm configuration of this node: on masters kubeadm-init.yaml
# (ClusterConfiguration, InitConfiguration, KubeletConfiguration with the
# systemd cgroup driver), on every node kubeadm-join.yaml
# (JoinConfiguration). Both 0600: they hold the bootstrap secrets.

# "k=v:Effect,..." as a YAML list of taints, indented by $1 spaces.
ml_taints_yaml() {
    pad=$1
    list=$2
    old_ifs=$IFS
    IFS=,
    for taint in $list; do
        [ -n "$taint" ] || continue
        effect=${taint##*:}
        pair=${taint%:*}
        key=${pair%%=*}
        printf '%*s- key: "%s"\n' "$pad" '' "$key"
        if [ "$pair" != "$key" ]; then
            printf '%*s  value: "%s"\n' "$pad" '' "${pair#*=}"
        fi
        printf '%*s  effect: "%s"\n' "$pad" '' "$effect"
    done
    IFS=$old_ifs
}

# Labels the kubelet registers the node with: the nodegroup and its role
# (kubelets may not set node-role.kubernetes.io labels themselves), then
# the user's node labels.
ml_node_labels() {
    labels="magnum.openstack.org/role=$NODEGROUP_ROLE"
    labels="$labels,magnum.openstack.org/nodegroup=$NODEGROUP"
    if [ -n "${NODE_LABELS:-}" ]; then
        labels="$labels,$NODE_LABELS"
    fi
    printf '%s\n' "$labels"
}

ml_node_registration() {
    cat <<YAML
nodeRegistration:
  name: "$NODE_NAME"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: node-labels
      value: "$(ml_node_labels)"
    - name: node-ip
      value: "$NODE_IP"
YAML
    if ml_enabled "${CLOUD_PROVIDER_ENABLED:-}"; then
        # The cloud controller manager initialises the node.
        printf '    - name: cloud-provider\n      value: external\n'
    fi
    taints=${NODE_TAINTS:-}
    if [ "$ROLE" = master ]; then
        # Replacing kubeadm's default taint list: keep it.
        taints="node-role.kubernetes.io/control-plane:NoSchedule${taints:+,$taints}"
    fi
    if [ -z "$taints" ]; then
        echo "  taints: []"
    else
        echo "  taints:"
        ml_taints_yaml 4 "$taints"
    fi
}

# The API server certificate's extra names, as a YAML flow list: this
# node, the control-plane endpoint and the public addresses clients use
# (PUBLIC_SANS: the load balancer's floating IP, a master's own).
ml_cert_sans() {
    sans="\"$NODE_IP\", \"${CONTROL_PLANE_ENDPOINT%:*}\""
    old_ifs=$IFS
    IFS=,
    for san in ${PUBLIC_SANS:-}; do
        [ -n "$san" ] && sans="$sans, \"$san\""
    done
    IFS=$old_ifs
    printf '[%s]' "$sans"
}

ml_cluster_configuration() {
    repository=registry.k8s.io
    if [ -n "${CONTAINER_INFRA_PREFIX:-}" ]; then
        repository=${CONTAINER_INFRA_PREFIX%/}
    fi
    cat <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: "$CLUSTER_NAME"
kubernetesVersion: "$KUBE_VERSION"
controlPlaneEndpoint: "$CONTROL_PLANE_ENDPOINT"
imageRepository: "$repository"
certificatesDir: "$ML_ROOT/etc/kubernetes/pki"
networking:
  podSubnet: "$POD_CIDR"
  serviceSubnet: "$SERVICE_CIDR"
etcd:
  local:
    dataDir: /var/lib/etcd
apiServer:
  certSANs: $(ml_cert_sans)
controllerManager:
  extraArgs:
    - name: cluster-signing-cert-file
      value: "$ML_ROOT/etc/kubernetes/pki/ca-signing.crt"
YAML
}

# CA_CERT_HASH (comma-separated: two during a CA rotation) as a YAML flow
# list.
ml_ca_cert_hashes() {
    printf '"%s"' "$CA_CERT_HASH" | sed 's/,/", "/g'
}

ml_init_configuration() {
    cat <<YAML
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: "$BOOTSTRAP_TOKEN"
    ttl: 0s
    description: magnum-lite node joins (derived per cluster, see docs)
certificateKey: "$CERTIFICATE_KEY"
localAPIEndpoint:
  advertiseAddress: "$NODE_IP"
  bindPort: $API_PORT
YAML
    ml_node_registration
}

ml_join_configuration() {
    cat <<YAML
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "$CONTROL_PLANE_ENDPOINT"
    token: "$BOOTSTRAP_TOKEN"
    caCertHashes: [$(ml_ca_cert_hashes)]
YAML
    if [ "$ROLE" = master ]; then
        cat <<YAML
controlPlane:
  certificateKey: "$CERTIFICATE_KEY"
  localAPIEndpoint:
    advertiseAddress: "$NODE_IP"
    bindPort: $API_PORT
YAML
    fi
    ml_node_registration
}

ml_kubelet_configuration() {
    cat <<YAML
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
YAML
}

ml_render_kubeadm_config() {
    umask 077
    if [ "$ROLE" = master ]; then
        {
            ml_cluster_configuration
            ml_init_configuration
            ml_kubelet_configuration
        } >"$ML_ETC/kubeadm-init.yaml"
    fi
    # kubeadm join reads only its JoinConfiguration; the kubelet
    # configuration comes from the cluster.
    ml_join_configuration | sed 1d >"$ML_ETC/kubeadm-join.yaml"
}
