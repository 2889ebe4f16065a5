#!/usr/bin/env bash
# Times the core's operations (criterion, both crypto backends) and the same
# operations with Python `cryptography` (OpenSSL) on the same inputs, in one
# run, and prints the ratios.
#
#   bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/bench
python3 bench/make_inputs.py target/bench/inputs.json
WXFACE_BENCH_INPUTS=$PWD/target/bench/inputs.json \
  cargo bench -p wxface-core --all-features --bench core -- --noplot >target/bench/criterion.log
WXFACE_BENCH_INPUTS=$PWD/target/bench/inputs.json \
  cargo bench -p wxface-core --all-features --bench oracle_timing
python3 bench/python_peer.py target/bench/inputs.json >target/bench/python_peer.json
python3 bench/report.py target/criterion target/bench/python_peer.json | tee target/bench/report.md
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); python cryptography $(python3 -c 'import cryptography; from cryptography.hazmat.backends.openssl.backend import backend as b; print(cryptography.__version__, "on", b.openssl_version_text())')"
