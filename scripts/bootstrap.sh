#!/usr/bin/env bash
# Create a virtual environment from a requirements file, if it is missing or out of date.
#   scripts/bootstrap.sh <venv-dir> <requirements-file>
set -euo pipefail
venv=$1; req=$2
stamp="$venv/.requirements.sha256"
want=$(cat "$req" shared/requirements.txt 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
py=$(scripts/find-python.sh)
echo "==> creating $venv with $py ($req)"
rm -rf "$venv"
"$py" -m venv "$venv"
# (grep drops pip's notes about this machine's optional local package indexes)
"$venv/bin/python" -m pip install --quiet --upgrade pip 2> >(grep -v "^WARNING: Location 'file:" >&2)
# Progress at a glance: a dot per package pip collects, then how many it installed.
printf '    collecting '
"$venv/bin/python" -m pip install --progress-bar off -r "$req" 2> >(grep -v "^WARNING: Location 'file:" >&2) |
  awk '/^Collecting /{printf "."; fflush()} /^Successfully installed/{n=NF-2} END{printf "\n    installed %d packages\n", n}'
echo "$want" > "$stamp"
