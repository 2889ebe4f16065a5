#!/usr/bin/env python3
"""CycloneDX SBOMs and SHA-256 sums for the artefacts of ``dist/``.

Each packaging script (``scripts/dist/<lang>.sh build``) lists what it built in
``dist/<lang>/MANIFEST.tsv``, one line per artefact::

    file<TAB>cargo-package<TAB>features<TAB>target-triple

``target-triple`` ``any`` stands for source (a sources jar): every target's
crates. ``features`` is ``default``, or a comma-separated list (built with
``--no-default-features`` unless the list holds ``default``). An artefact that
carries several native builds (a jar) has one line per build.

For every artefact this writes ``<file>.cdx.json``: a CycloneDX 1.6 SBOM whose
subject is the file (name, version, SHA-256) and whose components are the Rust
crates compiled into it — ``cargo tree -e normal`` for that package, feature
set and target, so build-only and dev-only crates are not listed — with
versions, licences and ``pkg:cargo`` package URLs, and the dependency graph.
Then ``SHA256SUMS`` in each directory (``sha256sum -c`` format).

The documents are made and validated against the CycloneDX JSON schema with
``cyclonedx-python-lib``, the format's reference library, rather than written
by hand.

Usage: ``sbom.py DIST_DIR CARGO_MANIFEST_PATH [PART...]`` (every part of DIST_DIR by default)
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import ExternalReference, ExternalReferenceType, HashAlgorithm, HashType, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

LINE = re.compile(r"^(\d+)(\S+) v(\S+)(?: \(([^)]*)\))?(?: \(\*\))?\|([^|]*)\|(.*)$")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cargo_tree(manifest: str, package: str, features: str, triple: str) -> list[tuple[int, str, str, str, str, str]]:
    cmd = [
        "cargo", "tree", "--manifest-path", manifest, "-p", package, "-e", "normal",
        "--target", "all" if triple == "any" else triple, "--prefix", "depth", "--format", "{p}|{l}|{r}", "--color", "never",
    ]
    wanted = [f for f in features.split(",") if f]
    if "default" not in wanted:
        cmd.append("--no-default-features")
    extra = [f for f in wanted if f != "default"]
    if extra:
        cmd += ["--features", ",".join(extra)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        m = LINE.match(line.strip())
        if not m:
            raise SystemExit(f"sbom: cannot read this line of `cargo tree`: {line!r}")
        depth, name, version, source, lic, repo = m.groups()
        rows.append((int(depth), name, version, source or "", lic, repo))
    if not rows:
        raise SystemExit(f"sbom: `cargo tree` printed nothing for {package}")
    return rows


def component(name: str, version: str, source: str, lic: str, repo: str, factory: LicenseFactory) -> Component:
    # Crates of this workspace are path dependencies: no registry, no purl qualifier.
    purl = PackageURL(type="cargo", name=name, version=version)
    refs = []
    if repo:
        refs.append(ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(repo)))
    licenses = [factory.make_from_string(lic)] if lic else []
    return Component(
        type=ComponentType.LIBRARY,
        name=name,
        version=version,
        purl=purl,
        bom_ref=f"{name}@{version}",
        licenses=licenses,
        external_references=refs,
        group=None,
        description="workspace crate" if source.startswith("/") else None,
    )


def sbom_for(artefact: Path, builds: list[tuple[str, str, str]], manifest: str, version: str) -> str:
    factory = LicenseFactory()
    bom = Bom()
    subject = Component(
        type=ComponentType.APPLICATION if artefact.suffix in ("", ".exe") else ComponentType.LIBRARY,
        name=artefact.name,
        version=version,
        bom_ref=f"artefact:{artefact.name}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sha256(artefact))],
        licenses=[factory.make_from_string("Apache-2.0")],
    )
    bom.metadata.component = subject
    seen: dict[str, Component] = {}
    edges: dict[str, set[str]] = {}
    roots = []
    for package, features, triple in builds:
        stack: list[str] = []
        for depth, name, ver, source, lic, repo in cargo_tree(manifest, package, features, triple):
            ref = f"{name}@{ver}"
            if ref not in seen:
                seen[ref] = component(name, ver, source, lic, repo, factory)
                bom.components.add(seen[ref])
            del stack[depth:]
            if depth == 0:
                roots.append(ref)
            else:
                edges.setdefault(stack[-1], set()).add(ref)
            stack.append(ref)
    bom.register_dependency(subject, [seen[r] for r in dict.fromkeys(roots)])
    for parent, children in edges.items():
        bom.register_dependency(seen[parent], [seen[c] for c in sorted(children)])
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise SystemExit(f"sbom: the SBOM of {artefact.name} does not validate: {error}")
    return text


def workspace_version(manifest: str) -> str:
    text = Path(manifest).read_text(encoding="utf-8")
    m = re.search(r'\[workspace\.package\][^\[]*?\nversion\s*=\s*"([^"]+)"', text, re.S)
    if not m:
        raise SystemExit("sbom: no [workspace.package] version in the root Cargo.toml")
    return m.group(1)


def main() -> int:
    dist = Path(sys.argv[1])
    manifest = sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).resolve().parents[2] / "Cargo.toml")
    version = workspace_version(manifest)
    parts = sys.argv[3:]
    manifests = [dist / p / "MANIFEST.tsv" for p in parts] if parts else sorted(dist.glob("*/MANIFEST.tsv"))
    for mf in manifests:
        if not mf.is_file():
            raise SystemExit(f"sbom: no {mf}")
    if not manifests:
        raise SystemExit(f"sbom: no */MANIFEST.tsv under {dist}")
    for mf in manifests:
        builds: dict[str, list[tuple[str, str, str]]] = {}
        for n, line in enumerate(mf.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                raise SystemExit(f"sbom: {mf}:{n}: want 4 tab-separated fields, got {len(parts)}")
            builds.setdefault(parts[0], []).append((parts[1], parts[2], parts[3]))
        for name, b in builds.items():
            artefact = mf.parent / name
            if not artefact.is_file():
                raise SystemExit(f"sbom: {mf} names {name}, which is not in {mf.parent}")
            out = artefact.with_name(artefact.name + ".cdx.json")
            out.write_text(sbom_for(artefact, b, manifest, version), encoding="utf-8")
            print(f"sbom: {out.relative_to(dist)}")
        sums = []
        for f in sorted(p for p in mf.parent.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
            sums.append(f"{sha256(f)}  {f.relative_to(mf.parent).as_posix()}\n")
        (mf.parent / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
        print(f"sums: {(mf.parent / 'SHA256SUMS').relative_to(dist)} ({len(sums)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
