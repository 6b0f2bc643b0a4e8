#!/usr/bin/env bash
# Install the real OpenStack Heat (openstack-heat 27.0.1) in its own
# virtualenv: ${MAGNUM_LITE_VENVS:-<repo>/.venvs}/heat, from the lock file
# tools/heat/requirements.txt. Idempotent: a marker holding the lock
# file's hash makes a repeated run return at once.
#
#   tools/heat/install.sh            install or refresh
#   tools/heat/install.sh --force    reinstall even if the marker matches
#   tools/heat/install.sh --relock   re-resolve requirements.in against the
#                                    upper-constraints file named by
#                                    MAGNUM_LITE_HEAT_CONSTRAINTS (not kept
#                                    in this repository) and rewrite the lock
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
venvs=${MAGNUM_LITE_VENVS:-$top/.venvs}
venv="$venvs/heat"
lock="$here/requirements.txt"
marker="$venv/.magnum-lite-heat.sha256"
mode=${1:-}

py=${MAGNUM_LITE_HEAT_PYTHON:-python3.11}
want=$( { cat "$lock"; echo "$py"; } | sha256sum | cut -d' ' -f1)
if [ -z "$mode" ] && [ -f "$marker" ] && [ -x "$venv/bin/heat-engine" ] \
        && [ "$(cat "$marker")" = "$want" ]; then
    echo "heat virtualenv up to date: $venv"
    exit 0
fi

start=$(date +%s.%N)
have_uv=0
if command -v uv >/dev/null 2>&1; then
    have_uv=1
elif python3 -m pip install -q uv >/dev/null 2>&1 && command -v uv >/dev/null 2>&1; then
    have_uv=1
fi

mkdir -p "$venvs"
rm -f "$marker"
if [ ! -x "$venv/bin/python" ]; then
    if [ $have_uv = 1 ]; then
        uv venv -q --python "$py" "$venv"
    else
        "$py" -m venv "$venv"
    fi
fi

if [ "$mode" = --relock ]; then
    if [ $have_uv = 1 ]; then
        uv pip install -q --python "$venv/bin/python" \
            -c "${MAGNUM_LITE_HEAT_CONSTRAINTS:?set it to an openstack/requirements upper-constraints.txt}" -r "$here/requirements.in"
        frozen=$(uv pip freeze --python "$venv/bin/python" 2>/dev/null)
    else
        "$venv/bin/pip" install -q -c "${MAGNUM_LITE_HEAT_CONSTRAINTS:?set it to an openstack/requirements upper-constraints.txt}" \
            -r "$here/requirements.in"
        frozen=$("$venv/bin/pip" freeze --exclude-editable | grep -v '^pip==\|^setuptools==\|^wheel==')
    fi
    {
        echo "# Lock file of the Heat virtualenv; generated from requirements.in by"
        echo "# tools/heat/install.sh --relock (uv pip freeze). Do not edit by hand."
        echo "$frozen"
    } > "$lock"
    want=$( { cat "$lock"; echo "$py"; } | sha256sum | cut -d' ' -f1)
    echo "lock file rewritten: $lock"
elif [ $have_uv = 1 ]; then
    uv pip sync -q --python "$venv/bin/python" "$lock"
else
    "$venv/bin/pip" install -q -r "$lock"
fi

"$venv/bin/python" -c 'import heat.engine.resources, cheroot, pymysql' \
    || { echo "heat virtualenv is broken: $venv" >&2; exit 1; }
echo "$want" > "$marker"
elapsed=$(python3 -c 'import sys, time; print("%.1f" % (time.time() - float(sys.argv[1])))' "$start")
echo "heat virtualenv ready in ${elapsed}s: $venv"
