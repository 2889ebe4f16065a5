#!/usr/bin/env python3
"""Combine criterion's estimates with the Python/OpenSSL peer's timings into
one table of ratios (ours / OpenSSL: below 1.0 means wxface is faster).

    python3 bench/report.py target/criterion target/bench/python_peer.json
"""
import json
import os
import sys

ROWS = [
    ("v2_sign_md5", None, "v2 sign, 2 KB rawdata, MD5"),
    ("v2_sign_hmac", None, "v2 sign, 2 KB rawdata, HMAC-SHA256"),
    ("v2_parse_verify", None, "v2 answer parse + verify (HMAC-SHA256)"),
    ("v3_sign", "aws-lc", "APIv3 Authorization header"),
    ("v3_sign", "rust-crypto", "APIv3 Authorization header"),
    ("v3_verify", "aws-lc", "APIv3 answer verification"),
    ("v3_verify", "rust-crypto", "APIv3 answer verification"),
    ("decrypt_pkcs1v15", "aws-lc", "decrypt one field, PKCS#1 v1.5"),
    ("decrypt_pkcs1v15", "rust-crypto", "decrypt one field, PKCS#1 v1.5"),
    ("decrypt_oaep", "aws-lc", "decrypt one field, OAEP-SHA1"),
    ("decrypt_oaep", "rust-crypto", "decrypt one field, OAEP-SHA1"),
    ("server_step", "aws-lc", "server step: verify + parse + decrypt 2 fields + validate"),
    ("server_step", "rust-crypto", "server step: verify + parse + decrypt 2 fields + validate"),
]


def estimate(criterion_dir, op, backend, stat="mean"):
    # criterion turns the id "decrypt_pkcs1v15/aws-lc" into "decrypt_pkcs1v15_aws-lc".
    name = f"{op}_{backend}" if backend else op
    with open(os.path.join(criterion_dir, name, "new", "estimates.json")) as fh:
        return json.load(fh)[stat]["point_estimate"] / 1e9


def main(criterion_dir, peer_path):
    peer = json.load(open(peer_path))
    print("| operation | backend | wxface | Python/OpenSSL | ours / OpenSSL |")
    print("|---|---|---:|---:|---:|")
    for op, backend, label in ROWS:
        ours = estimate(criterion_dir, op, backend)
        theirs = peer[op]
        print(f"| {label} | {backend or 'RustCrypto'} | {ours * 1e6:.2f} µs | {theirs * 1e6:.2f} µs | {ours / theirs:.2f}× |")
    oracle = os.path.join(os.path.dirname(os.path.abspath(peer_path)), "oracle_timing.json")
    if os.path.exists(oracle):
        o = json.load(open(oracle))
        print()
        print("Bad PKCS#1 v1.5 ciphertexts (implicit rejection), decrypted interleaved:")
        print("median time of a conforming block with junk inside against a")
        print("non-conforming block.")
        print()
        print("| backend | conforming junk | non-conforming | difference | pairs |")
        print("|---|---:|---:|---:|---:|")
        for backend in ("aws-lc", "rust-crypto"):
            r = o[backend]
            print(f"| {backend} | {r['conforming_junk_median_ns'] / 1e3:.2f} µs | "
                  f"{r['non_conforming_median_ns'] / 1e3:.2f} µs | {r['difference_percent']:.2f} % | {r['pairs']} |")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
