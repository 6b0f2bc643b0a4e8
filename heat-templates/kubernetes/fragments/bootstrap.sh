#!/bin/bash
# The node bootstrap cloud-init runs once: container runtime, Kubernetes
# binaries, kubeadm init or join, add-ons on the first master, then a
# SUCCESS signal to Heat. A failing step signals FAILURE with its name and
# last lines and stops the bootstrap (lib.sh, ml_step).
set -eu

ML_LIB=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$ML_LIB/lib.sh"
# shellcheck source=runtime.sh
. "$ML_LIB/runtime.sh"
# shellcheck source=kube-binaries.sh
. "$ML_LIB/kube-binaries.sh"
# shellcheck source=kubeadm-config.sh
. "$ML_LIB/kubeadm-config.sh"
# shellcheck source=control-plane.sh
. "$ML_LIB/control-plane.sh"
# shellcheck source=addons.sh
. "$ML_LIB/addons.sh"
# shellcheck source=cloud-config.sh
. "$ML_LIB/cloud-config.sh"

ml_load_env
ml_step kernel ml_kernel_settings
ml_step runtime-install ml_install_runtime
ml_step containerd ml_configure_containerd
ml_step kubeadm-config ml_render_kubeadm_config
ml_step kube-install ml_install_kube
if [ "$ROLE" != master ]; then
    ml_step kubeadm-join ml_join_worker
else
    ml_step cloud-config ml_write_cloud_conf
    if ml_first_master; then
        ml_log "master $NODE_INDEX: the endpoint does not answer: kubeadm init"
        ml_step kubeadm-init ml_init_first_master
        ml_step addons ml_apply_addons
    else
        ml_log "master $NODE_INDEX: kubeadm join --control-plane"
        ml_step kubeadm-join-control-plane ml_join_control_plane
    fi
    ml_step etcd-departures ml_install_departures_timer
    # Masters only: workers carry no credentials and no such file.
    # shellcheck source=health-report.sh
    . "$ML_LIB/health-report.sh"
    ml_step health-reporter ml_install_health_reporter
fi
ml_signal SUCCESS "$NODE_NAME joined the cluster as $ROLE"
