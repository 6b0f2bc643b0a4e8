# Sourced (bash): put the network guard on every Python process started
# from here on. Usage:
#   . tools/netguard/activate.sh RECORD_DIR
#   ... run things ...
#   netguard_report       # prints the record; non-zero if anything was refused
# See tools/netguard/sitecustomize.py.
_netguard_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$1"
mkdir -p "$1"
export MAGNUM_LITE_NETGUARD
MAGNUM_LITE_NETGUARD=$(cd "$1" && pwd)
export PYTHONPATH="$_netguard_dir${PYTHONPATH:+:$PYTHONPATH}"

netguard_report() {
    # The report itself is not a guarded process of the run.
    MAGNUM_LITE_NETGUARD='' python3 "$_netguard_dir/report.py" \
        "$MAGNUM_LITE_NETGUARD"
}
