#!/bin/bash
# devstack plugin for magnum-lite: installs the service, registers the
# container-infra endpoint, configures the database, RabbitMQ and
# keystonemiddleware, and runs API (uWSGI) and conductor as services.

function install_magnum_lite {
    # mysqlclient builds against the MariaDB client library.
    install_package libmariadb-dev pkg-config
    setup_develop $MAGNUM_LITE_DIR
}

function configure_magnum_lite {
    sudo install -d -o $STACK_USER $MAGNUM_LITE_CONF_DIR
    oslo-config-generator \
        --config-file $MAGNUM_LITE_DIR/etc/magnum-lite/magnum-lite-config-generator.conf \
        --output-file $MAGNUM_LITE_CONF
    iniset $MAGNUM_LITE_CONF DEFAULT transport_url $(get_transport_url)
    # mysqlclient (a requirement) rather than devstack's PyMySQL.
    iniset $MAGNUM_LITE_CONF database connection \
        $(database_connection_url magnum_lite | sed 's|^mysql+pymysql:|mysql+mysqldb:|')
    iniset $MAGNUM_LITE_CONF database encryption_key \
        $(python3 -c 'from cryptography import fernet; print(fernet.Fernet.generate_key().decode())')
    iniset $MAGNUM_LITE_CONF api auth_strategy keystone
    configure_keystone_authtoken_middleware $MAGNUM_LITE_CONF magnum
    configure_magnum_lite_heat
    configure_magnum_lite_trust
}

# The Heat client: each cluster's stack trust (stacks in the owner's
# project); the magnum service user only for clusters made without one.
function configure_magnum_lite_heat {
    iniset $MAGNUM_LITE_CONF heat auth_mode keystone
    iniset $MAGNUM_LITE_CONF heat region_name $REGION_NAME
    iniset $MAGNUM_LITE_CONF heat auth_type password
    iniset $MAGNUM_LITE_CONF heat auth_url $KEYSTONE_SERVICE_URI
    iniset $MAGNUM_LITE_CONF heat username magnum
    iniset $MAGNUM_LITE_CONF heat password $SERVICE_PASSWORD
    iniset $MAGNUM_LITE_CONF heat project_name $SERVICE_PROJECT_NAME
    iniset $MAGNUM_LITE_CONF heat user_domain_name $SERVICE_DOMAIN_NAME
    iniset $MAGNUM_LITE_CONF heat project_domain_name $SERVICE_DOMAIN_NAME
}

# Per-cluster credentials: a domain for the trustee users and its admin,
# as for Magnum (see doc/source/install/first-cluster.rst).
function configure_magnum_lite_trust {
    iniset $MAGNUM_LITE_CONF trust auth_url $KEYSTONE_SERVICE_URI/v3
    iniset $MAGNUM_LITE_CONF trust trustee_domain_name \
        $MAGNUM_LITE_TRUSTEE_DOMAIN
    iniset $MAGNUM_LITE_CONF trust trustee_domain_admin_name \
        $MAGNUM_LITE_TRUSTEE_DOMAIN_ADMIN
    iniset $MAGNUM_LITE_CONF trust trustee_domain_admin_password \
        $SERVICE_PASSWORD
}

function create_magnum_lite_trustee_domain {
    local domain_id admin_id
    domain_id=$(get_or_create_domain $MAGNUM_LITE_TRUSTEE_DOMAIN \
        "Trustee users of magnum-lite clusters")
    admin_id=$(get_or_create_user $MAGNUM_LITE_TRUSTEE_DOMAIN_ADMIN \
        $SERVICE_PASSWORD $MAGNUM_LITE_TRUSTEE_DOMAIN)
    openstack role add --domain $domain_id --user $admin_id admin
}

function init_magnum_lite {
    recreate_database magnum_lite
    magnum-lite-db-manage --config-file $MAGNUM_LITE_CONF upgrade
    if is_service_enabled keystone; then
        create_service_user magnum admin
        get_or_create_service container-infra container-infra \
            "Container Infrastructure Management Service"
        get_or_create_endpoint container-infra $REGION_NAME \
            "$SERVICE_PROTOCOL://$SERVICE_HOST:$MAGNUM_LITE_SERVICE_PORT"
        create_magnum_lite_trustee_domain
    fi
}

function start_magnum_lite {
    run_process magnum-lite-api \
        "$(which magnum-lite-api) --config-file $MAGNUM_LITE_CONF"
    run_process magnum-lite-cond \
        "$(which magnum-lite-conductor) --config-file $MAGNUM_LITE_CONF"
}

function stop_magnum_lite {
    stop_process magnum-lite-api
    stop_process magnum-lite-cond
}

if [[ "$1" == "stack" && "$2" == "install" ]]; then
    install_magnum_lite
elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
    configure_magnum_lite
elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
    init_magnum_lite
    start_magnum_lite
fi
if [[ "$1" == "unstack" ]]; then
    stop_magnum_lite
fi
