#!/usr/bin/env bash
# Makes genesis.txt from Debian's bible-kjv-text package (see README.md): the Book of Genesis,
# King James Version, one verse per line, without chapter headings or verse numbers.
set -euo pipefail
apt-get install -y -qq bible-kjv >/dev/null
bible -l2000 "gen1:1-gen50:26" </dev/null 2>/dev/null \
  | sed -E 's/^ *[0-9]+ //' | grep -v '^Genesis [0-9]*$' | grep -v '^$' > "$(dirname "$0")/genesis.txt"
