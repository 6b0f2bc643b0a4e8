#!/usr/bin/env bash
# Horizon with magnum-ui for the browser test (tools/horizon/README.md):
#  1. .venvs/horizon from the lock file (tools/service-venv horizon):
#     horizon 25.5.2, magnum-ui 17.0.0, python-magnumclient 4.9.0;
#  2. magnum-ui's panels enabled, our local_settings.py, the patch
#     magnum-ui-external-networks.patch, static files collected and
#     compressed (offline) into the virtualenv;
#  3. Debian's chromium and chromium-driver (apt), if missing.
# Idempotent: a marker holding the hash of what step 2 used makes a
# repeated run return at once. Arguments go to tools/service-venv
# (--force, --relock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
venv=${MAGNUM_LITE_VENVS:-$top/.venvs}/horizon
start=$(date +%s.%N)

"$top/tools/service-venv" horizon "$@"

marker="$venv/.magnum-lite-horizon-setup.sha256"
want=$(cat "$venv/.magnum-lite-horizon.sha256" "$here/local_settings.py" \
       "$here"/*.patch "$here/install.sh" | sha256sum | cut -d' ' -f1)
if [ ! -f "$marker" ] || [ "$(cat "$marker")" != "$want" ]; then
    rm -f "$marker"
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    dashboard="$site/openstack_dashboard"
    cp "$here/local_settings.py" "$dashboard/local/local_settings.py"
    cp "$site"/magnum_ui/enabled/_[0-9]*.py "$dashboard/local/enabled/"
    for p in "$here"/*.patch; do
        # -N: a patch already applied (an earlier, interrupted run) is
        # skipped, not reversed; the dry run makes anything else fail.
        if patch -p1 -N -d "$site" --dry-run -s < "$p" >/dev/null; then
            patch -p1 -N -d "$site" -s < "$p"
        elif ! patch -p1 -R -d "$site" --dry-run -s < "$p" >/dev/null; then
            echo "cannot apply $p" >&2
            exit 1
        fi
    done
    export DJANGO_SETTINGS_MODULE=openstack_dashboard.settings
    PYTHONWARNINGS=ignore "$venv/bin/django-admin" collectstatic --noinput \
        --clear -v 0
    PYTHONWARNINGS=ignore "$venv/bin/django-admin" compress --force -v 0
    echo "$want" > "$marker"
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    apt_get=(apt-get)
    [ "$(id -u)" = 0 ] || apt_get=(sudo apt-get)
    DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -q \
        --no-install-recommends chromium chromium-driver >/dev/null \
        || { DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" update -q >/dev/null
             DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -q \
                 --no-install-recommends chromium chromium-driver >/dev/null; }
fi
elapsed=$(python3 -c 'import sys, time; print("%.1f" % (time.time() - float(sys.argv[1])))' "$start")
echo "horizon and chromium ready in ${elapsed}s: $venv"
