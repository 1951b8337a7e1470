#!/usr/bin/env bash
# The single entry point for learners and CI.
#
#   bash course.sh lab  [jupyter lab options]   install into .venv, open JupyterLab at lesson 00
#   bash course.sh test [pytest options]        install into .venv, run the whole test suite
#
# PYTHON picks the interpreter that creates .venv (default: python3, version 3.11 or newer).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON="${PYTHON:-python3}"
VENV=".venv"
STAMP="$VENV/.requirements.sha256"
MIN_PYTHON="3.11"

usage() {
    cat <<EOF
usage: bash course.sh COMMAND [ARGS...]

commands:
  lab    install the course into .venv and open JupyterLab at lesson 00
         (extra ARGS go to 'jupyter lab', e.g. --IdentityProvider.token='')
  test   install the course into .venv and run the whole test suite with pytest, on two
         workers (extra ARGS go to pytest, e.g. -x tests, or -n 0 for one process)

environment:
  PYTHON   interpreter used to create .venv (default: python3; needs $MIN_PYTHON or newer)
EOF
}

say() { printf 'course.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

check_python() {
    command -v "$PYTHON" >/dev/null 2>&1 ||
        die "'$PYTHON' was not found. Install Python $MIN_PYTHON or newer, or point PYTHON at one (PYTHON=python3.12 bash course.sh ...)."
    local version
    version="$("$PYTHON" -c 'import platform; print(platform.python_version())' 2>/dev/null)" ||
        die "'$PYTHON' could not be run. Install Python $MIN_PYTHON or newer, or point PYTHON at one (PYTHON=python3.12 bash course.sh ...)."
    if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
        die "this course needs Python $MIN_PYTHON or newer, but '$PYTHON' is Python $version. Install a newer one and run again with PYTHON=python3.X (for example PYTHON=python3.12 bash course.sh ...)."
    fi
}

# True when the interpreter can build a venv with pip in it (Debian/Ubuntu ship
# ensurepip separately, in python3-venv).
venv_module_ok() {
    "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1
}

install_venv_module() {
    local version pkgs
    version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "Python's venv module is missing: installing python3-venv with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        pkgs=(python3-venv)
        # A Python other than the distribution's default needs its own pythonX.Y-venv.
        if apt-cache show "python${version}-venv" >/dev/null 2>&1; then
            pkgs+=("python${version}-venv")
        fi
        apt-get install -y "${pkgs[@]}"
    else
        say "Python's venv module is missing ('$PYTHON -m venv' cannot install pip)."
        say "On Debian/Ubuntu install it first, then run this command again:"
        say "    sudo apt-get install -y python3-venv"
        say "(for a Python other than the system's default: sudo apt-get install -y python${version}-venv)"
        exit 1
    fi
}

# True when .venv exists, has pip and runs a new enough Python.
venv_ok() {
    [ -x "$VENV/bin/python" ] &&
        "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1 &&
        "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}

create_venv() {
    venv_ok && return 0
    check_python
    if [ -e "$VENV" ]; then
        say "$VENV is incomplete or too old: creating it again"
        rm -rf "$VENV"
    fi
    if ! venv_module_ok; then
        install_venv_module
        venv_module_ok || die "Python's venv module is still missing after installing python3-venv; check '$PYTHON -m venv'."
    fi
    say "creating $VENV with $("$PYTHON" -c 'import sys; print(sys.executable)')"
    if ! "$PYTHON" -m venv "$VENV"; then
        rm -rf "$VENV"
        die "'$PYTHON -m venv $VENV' failed (see above)."
    fi
}

requirements_hash() {
    "$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' requirements.txt
}

# labsupport must be installed from this checkout, so that it imports from anywhere (a
# notebook's kernel runs in notebooks/), not only from the repository root. This finds the
# package without importing it.
labsupport_installed() {
    local root
    root="$(pwd -P)"
    (cd / && "$root/$VENV/bin/python" - "$root" <<'PY'
import importlib.util, os, sys
spec = importlib.util.find_spec("labsupport")
origin = os.path.realpath(spec.origin) if spec and spec.origin else ""
sys.exit(0 if origin.startswith(os.path.join(sys.argv[1], "labsupport") + os.sep) else 1)
PY
    ) >/dev/null 2>&1
}

install_requirements() {
    create_venv
    local want
    want="$(requirements_hash)"
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && labsupport_installed; then
        return 0
    fi
    say "installing the course's packages into $VENV (the first time takes a few minutes)"
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -r requirements.txt
    printf '%s\n' "$want" > "$STAMP"
}

main() {
    local command="${1:-}"
    case "$command" in
        lab)
            shift
            install_requirements
            exec "$VENV/bin/jupyter" lab --allow-root notebooks/00_start_here.ipynb "$@"
            ;;
        test)
            shift
            install_requirements
            # two workers (pytest-xdist); each test file, and so each notebook's kernel, stays on one
            exec "$VENV/bin/python" -m pytest -n 2 --dist loadfile "$@"
            ;;
        -h|--help|help)
            usage
            ;;
        *)
            if [ -n "$command" ]; then
                say "unknown command '$command'"
            fi
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
