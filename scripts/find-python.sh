#!/usr/bin/env bash
# Print the path of a Python 3.13 interpreter (the Lambda runtime's version), or fail saying how to get one.
set -euo pipefail
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON313:-}" ] && candidates+=("$PYTHON313")
candidates+=(python3.13)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for d in "$root"/versions/3.13*; do [ -x "$d/bin/python3.13" ] && candidates+=("$d/bin/python3.13"); done
fi
candidates+=(/usr/local/bin/python3.13 /usr/bin/python3.13 /opt/homebrew/bin/python3.13)
if command -v uv >/dev/null 2>&1; then
  found=$(uv python find 3.13 2>/dev/null || true); [ -n "$found" ] && candidates+=("$found")
fi
for c in "${candidates[@]}"; do
  if command -v "$c" >/dev/null 2>&1 && ok "$c"; then command -v "$c"; exit 0; fi
done
echo "No Python 3.13 found (the Lambda runtime is python3.13). Install one (pyenv install 3.13, uv python install 3.13, or your OS package) or set PYTHON313=/path/to/python3.13." >&2
exit 1
