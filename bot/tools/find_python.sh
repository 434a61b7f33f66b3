#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 does not run on 3.11), or explains.
set -u
for candidate in "${PYTHON:-}" python3.10 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python3.10 \
    /usr/bin/python3.10 /usr/local/bin/python3.10; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
echo "Python 3.10 is required (Rasa 3.6 does not install on 3.11)." >&2
echo "Install it, e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv'," >&2
echo "or point PYTHON at one: make PYTHON=/path/to/python3.10 run" >&2
exit 1
