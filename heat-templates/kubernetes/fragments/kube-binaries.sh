#!/bin/bash
# kubelet, kubeadm and kubectl of KUBE_VERSION from the mirror, each
# checked against its sha256; skipped when the image has that version.

ml_has_kube_version() {
    command -v kubelet >/dev/null 2>&1 && command -v kubeadm >/dev/null 2>&1 \
        && command -v kubectl >/dev/null 2>&1 \
        && [ "$(kubelet --version)" = "Kubernetes $KUBE_VERSION" ] \
        && [ "$(kubeadm version -o short)" = "$KUBE_VERSION" ] \
        && kubectl version --client 2>/dev/null \
            | grep -q "^Client Version: $KUBE_VERSION\$"
}

ml_install_kube() {
    if ml_has_kube_version; then
        echo "Kubernetes $KUBE_VERSION is in the image"
        kubelet_bin=$(command -v kubelet)
    else
        kubelet_bin=/usr/local/bin/kubelet
        base=$(ml_base_url)
        for binary in kubelet kubeadm kubectl; do
            # KUBE_PATH is a directory: its SHA256SUMS (a mirror) or
            # each binary's .sha256 (upstream) has the sums.
            ml_fetch "$base/$KUBE_PATH/$binary" \
                "$ML_ROOT/usr/local/bin/$binary"
            chmod 0755 "$ML_ROOT/usr/local/bin/$binary"
        done
    fi
    mkdir -p "$ML_ROOT/etc/systemd/system/kubelet.service.d"
    cat >"$ML_ROOT/etc/systemd/system/kubelet.service" <<UNIT
[Unit]
Description=kubelet (magnum-lite)
After=containerd.service
Wants=containerd.service

[Service]
ExecStart=$kubelet_bin
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
    # kubeadm writes the flags file and the kubelet config; this drop-in
    # is how kubeadm's own packages start the kubelet.
    cat >"$ML_ROOT/etc/systemd/system/kubelet.service.d/10-kubeadm.conf" <<UNIT
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=
ExecStart=$kubelet_bin \$KUBELET_KUBECONFIG_ARGS \$KUBELET_CONFIG_ARGS \$KUBELET_KUBEADM_ARGS
UNIT
    systemctl daemon-reload
    systemctl enable kubelet
    # kubeadm pulls the control-plane images from the prefix's registry.
    if [ "$ROLE" = master ]; then
        kubeadm config images pull --config "$ML_ETC/kubeadm-init.yaml"
    fi
}
