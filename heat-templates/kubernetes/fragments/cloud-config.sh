#!/bin/bash
# Masters: /etc/kubernetes/cloud.conf (0600) for the OpenStack cloud
# controller manager and Cinder CSI, from the cluster's credentials in
# cloud.env (a trust, or an application credential). Workers never get it.

ml_write_cloud_conf() {
    if [ -z "${OS_AUTH_URL:-}" ]; then
        echo "the cluster has no cloud credentials: no cloud.conf"
        return 0
    fi
    conf=$ML_ROOT/etc/kubernetes/cloud.conf
    mkdir -p "$(dirname "$conf")"
    umask 077
    {
        echo "[Global]"
        printf 'auth-url="%s"\n' "$OS_AUTH_URL"
        if [ -n "${OS_REGION_NAME:-}" ]; then
            printf 'region="%s"\n' "$OS_REGION_NAME"
        fi
        if [ -n "${OS_APPLICATION_CREDENTIAL_ID:-}" ]; then
            printf 'application-credential-id="%s"\n' \
                "$OS_APPLICATION_CREDENTIAL_ID"
            printf 'application-credential-secret="%s"\n' \
                "$OS_APPLICATION_CREDENTIAL_SECRET"
        else
            if [ -n "${OS_TRUSTEE_USER_ID:-}" ]; then
                printf 'user-id="%s"\n' "$OS_TRUSTEE_USER_ID"
            else
                printf 'username="%s"\n' "$OS_TRUSTEE_USERNAME"
                printf 'user-domain-id="%s"\n' "$OS_TRUSTEE_DOMAIN_ID"
            fi
            printf 'password="%s"\n' "$OS_TRUSTEE_PASSWORD"
            printf 'trust-id="%s"\n' "$OS_TRUST_ID"
        fi
    } >"$conf.part"
    mv "$conf.part" "$conf"
}
