#!/usr/bin/env bash
# Fails if the domain crate depends, directly or transitively, on an I/O, async or mocking crate.
set -euo pipefail
cd "$(dirname "$0")/.."

forbidden=(tokio sqlx axum reqwest async-trait mockall hyper tower)

tree=$(cargo tree -p vodokanal-domain -e normal --prefix none)

# Each line reads "name vX.Y.Z [(path)] [(*)]": compare the first field exactly.
names=$(awk '{ print $1 }' <<<"$tree" | sort -u)
for crate in "${forbidden[@]}"; do
    if grep -qxF -- "$crate" <<<"$names"; then
        echo "domain purity: FAILED: vodokanal-domain depends on '$crate' (see: cargo tree -p vodokanal-domain -e normal -i $crate)" >&2
        exit 1
    fi
done
echo "domain purity: ok"
