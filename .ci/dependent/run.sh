#!/usr/bin/env bash
# Builds the crate in this folder as a user's project would (nabla by path, the README's profile
# snippet), offline, against the workspace's lock file, and checks that it trains in release
# and debug builds and that an unoptimised build warns once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
cp ../../Cargo.lock Cargo.lock
export CARGO_TARGET_DIR="$here/../../target/dependent"
for profile in release dev; do
  echo "dependent crate, $profile build:"
  cargo run --offline -q --profile "$profile" -- 200 2>stderr.txt || { cat stderr.txt; exit 1; }
  if grep -q "compiled without optimisation" stderr.txt; then
    echo "the $profile build with the README's snippet warned that it was unoptimised:"; cat stderr.txt; exit 1
  fi
done
echo "dependent crate, unoptimised dev build (without the snippet):"
cargo run --offline -q --config 'profile.dev.package."*".opt-level=0' -- --one-op 2>stderr.txt
if [ "$(grep -c "compiled without optimisation" stderr.txt)" != 1 ]; then
  echo "the unoptimised build did not warn exactly once:"; cat stderr.txt; exit 1
fi
echo "it warned once: $(head -n 1 stderr.txt | cut -c1-100)..."
rm -f stderr.txt Cargo.lock
