#!/bin/bash
# Add-ons, applied once by the first master after kubeadm init: the CNI
# (downloaded from the mirror with its checksum: too big for user data),
# then the manifests cloud-init wrote to $ML_ETC/addons. Every image is
# moved to CONTAINER_INFRA_PREFIX when one is set.

ml_apply_manifest() {
    src=$1
    name=$2
    mkdir -p "$ML_STATE/addons"
    ml_rewrite_images <"$src" >"$ML_STATE/addons/$name.yaml"
    ml_kubectl apply -f "$ML_STATE/addons/$name.yaml"
}

# Cilium's chart defaults to its own IPAM pool, 10.0.0.0/8, which overlaps
# the nodes' subnet: the manifest must use the pod CIDR kubeadm hands out
# per node (ipam: kubernetes; see install/first-cluster.rst).
ml_check_cilium_ipam() {
    ipam=$(sed -n 's/^ *ipam: *"*\([A-Za-z-]*\)"* *$/\1/p' "$1" | head -n 1)
    if [ "$ipam" != kubernetes ]; then
        echo "the cilium manifest sets ipam: ${ipam:-(nothing)};" \
            "render it with --set ipam.mode=kubernetes" >&2
        return 1
    fi
}

ml_apply_addons() {
    if [ -z "${CNI_MANIFEST_PATH:-}" ]; then
        echo "no manifest is known for CNI '$CNI'" >&2
        return 1
    fi
    ml_runtime_fetch "the $CNI manifest" "$CNI_MANIFEST_PATH" \
        "$ML_STATE/dl/cni.yaml" "${CNI_MANIFEST_SHA256:-}"
    if [ "$CNI" = cilium ]; then
        ml_check_cilium_ipam "$ML_STATE/dl/cni.yaml"
    fi
    ml_apply_manifest "$ML_STATE/dl/cni.yaml" cni
    cloud=false
    if ml_enabled "${CLOUD_PROVIDER_ENABLED:-}" \
            || ml_enabled "${CINDER_CSI_ENABLED:-}"; then
        cloud=true
    fi
    if $cloud && [ ! -f "$ML_ROOT/etc/kubernetes/cloud.conf" ]; then
        echo "cloud provider enabled but no cloud credentials" \
            "(/etc/kubernetes/cloud.conf)" >&2
        return 1
    fi
    if ml_enabled "${CLOUD_PROVIDER_ENABLED:-}"; then
        ml_apply_manifest "$ML_ETC/addons/cloud-controller-manager.yaml" \
            cloud-controller-manager
    fi
    if ml_enabled "${CINDER_CSI_ENABLED:-}"; then
        ml_apply_manifest "$ML_ETC/addons/cinder-csi.yaml" cinder-csi
    fi
    if ml_enabled "${METRICS_SERVER_ENABLED:-}"; then
        ml_apply_manifest "$ML_ETC/addons/metrics-server.yaml" metrics-server
    fi
}
