#!/bin/bash
# Container runtime: kernel settings, containerd (installed from the
# mirror unless the image has the version) with the systemd cgroup driver
# on cgroup v2 and the sandbox image from the registry prefix.

ml_kernel_settings() {
    if [ ! -f "$ML_ROOT/sys/fs/cgroup/cgroup.controllers" ]; then
        echo "cgroup v2 is required: the image mounts cgroup v1" >&2
        return 1
    fi
    mkdir -p "$ML_ROOT/etc/modules-load.d" "$ML_ROOT/etc/sysctl.d"
    printf 'overlay\nbr_netfilter\n' >"$ML_ROOT/etc/modules-load.d/kubernetes.conf"
    modprobe overlay
    modprobe br_netfilter
    cat >"$ML_ROOT/etc/sysctl.d/90-kubernetes.conf" <<CONF
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
CONF
    sysctl --system
}

ml_has_containerd() {
    command -v containerd >/dev/null 2>&1 \
        && containerd --version | grep -q " v\{0,1\}$CONTAINERD_VERSION "
}

# Runtime downloads come from the mirror only: upstream's dl.k8s.io has
# just the Kubernetes binaries. Without a mirror the image must have them.
ml_runtime_fetch() {
    if [ -z "${BINARY_MIRROR_URL:-}" ]; then
        echo "$1 is not in the image and there is no binary_mirror_url" >&2
        return 1
    fi
    ml_fetch "$(ml_base_url)/$2" "$3" "${4:-}"
}

ml_install_runtime() {
    if ml_has_containerd; then
        echo "containerd $CONTAINERD_VERSION is in the image"
    else
        ml_runtime_fetch "containerd $CONTAINERD_VERSION" "$CONTAINERD_PATH" \
            "$ML_STATE/dl/containerd.tgz" "${CONTAINERD_SHA256:-}"
        mkdir -p "$ML_ROOT/usr/local"
        tar -C "$ML_ROOT/usr/local" -xzf "$ML_STATE/dl/containerd.tgz"
    fi
    if command -v runc >/dev/null 2>&1 \
            && runc --version | grep -q "version ${RUNC_VERSION#v}\$"; then
        echo "runc $RUNC_VERSION is in the image"
    else
        ml_runtime_fetch "runc $RUNC_VERSION" "$RUNC_PATH" \
            "$ML_ROOT/usr/local/sbin/runc" "${RUNC_SHA256:-}"
        chmod 0755 "$ML_ROOT/usr/local/sbin/runc"
    fi
    stamp=$ML_ROOT/opt/cni/bin/.magnum-lite-version
    if [ -z "${BINARY_MIRROR_URL:-}" ] \
            && [ -x "$ML_ROOT/opt/cni/bin/bridge" ]; then
        echo "CNI plugins are in the image (no mirror to update them from)"
    elif [ "$(cat "$stamp" 2>/dev/null)" != "$CNI_PLUGINS_VERSION" ]; then
        ml_runtime_fetch "CNI plugins $CNI_PLUGINS_VERSION" \
            "$CNI_PLUGINS_PATH" "$ML_STATE/dl/cni-plugins.tgz" \
            "${CNI_PLUGINS_SHA256:-}"
        mkdir -p "$ML_ROOT/opt/cni/bin"
        tar -C "$ML_ROOT/opt/cni/bin" -xzf "$ML_STATE/dl/cni-plugins.tgz"
        printf '%s\n' "$CNI_PLUGINS_VERSION" >"$stamp"
    fi
}

ml_configure_containerd() {
    mkdir -p "$ML_ROOT/etc/containerd"
    cat >"$ML_ROOT/etc/containerd/config.toml" <<CONF
# Written by the magnum-lite bootstrap (containerd 2.x, config version 3).
version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = '$(ml_image "$PAUSE_IMAGE")'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = true
CONF
    systemctl daemon-reload
    systemctl enable containerd
    systemctl restart containerd
}
