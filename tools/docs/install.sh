#!/usr/bin/env bash
# Create or refresh the documentation virtualenv
# (${MAGNUM_LITE_VENVS:-<repo>/.venvs}/docs): Sphinx, the theme and reno
# from doc/requirements.txt, and magnum-lite itself (the configuration and
# policy references are rendered from the code). Does nothing when those
# requirements have not changed since the last run.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="${MAGNUM_LITE_VENVS:-$top/.venvs}/docs"
stamp="$venv/.magnum-lite-docs.sha256"
want=$(cat "$top/doc/requirements.txt" "$top/requirements.txt" \
       "$top/setup.cfg" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
        && [ -x "$venv/bin/sphinx-build" ]; then
    exit 0
fi
command -v uv >/dev/null 2>&1 || python3 -m pip install -q uv
[ -x "$venv/bin/python" ] || uv venv -q --python python3.11 "$venv"
start=$(date +%s.%N)
PBR_VERSION=${PBR_VERSION:-0.1.0} uv pip install -q --python "$venv/bin/python" \
    -r "$top/doc/requirements.txt" -r "$top/requirements.txt" -e "$top"
echo "$want" > "$stamp"
elapsed=$(python3 -c 'import sys, time; print("%.1f" % (time.time() - float(sys.argv[1])))' "$start")
echo "docs virtualenv ready in ${elapsed}s: $venv"
