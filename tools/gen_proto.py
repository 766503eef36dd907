#!/usr/bin/env python3
"""Regenerate the Python code of the contracts in proto/ beside each .proto.

    python tools/gen_proto.py           # write *_pb2.py, *_pb2.pyi, *_pb2_grpc.py
    python tools/gen_proto.py --check   # exit 1 if any committed file is stale

Every .proto under proto/motcua gets <name>_pb2.py and <name>_pb2.pyi;
<name>_pb2_grpc.py only when it declares a service. Generated files with no
.proto left are deleted (write mode) or reported (check mode).

The output embeds the generator's version, so it is byte-for-byte
reproducible only with the pinned grpcio-tools below; any other version is
refused rather than silently producing a diff.
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

GRPCIO_TOOLS_VERSION = "1.85.1"  # keep in step with the Makefile / CI pin

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PACKAGE_DIR = PROTO_DIR / "motcua"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")
_SERVICE_RE = re.compile(r"^\s*service\s+\w+\s*\{", re.MULTILINE)
FIX_HINT = "run `make proto` (python tools/gen_proto.py) and commit the result"


def _proto_files() -> list[Path]:
    return sorted(p.relative_to(PROTO_DIR) for p in PACKAGE_DIR.rglob("*.proto"))


def _expected_outputs(protos: list[Path]) -> list[Path]:
    """Return the generated paths (relative to proto/) the protos should have."""
    outputs: list[Path] = []
    for proto in protos:
        stem = proto.with_suffix("")
        outputs.append(stem.with_name(stem.name + "_pb2.py"))
        outputs.append(stem.with_name(stem.name + "_pb2.pyi"))
        if _SERVICE_RE.search((PROTO_DIR / proto).read_text(encoding="utf-8")):
            outputs.append(stem.with_name(stem.name + "_pb2_grpc.py"))
    return sorted(outputs)


def _existing_outputs() -> list[Path]:
    found = [
        p.relative_to(PROTO_DIR)
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.name.endswith(GENERATED_SUFFIXES)
    ]
    return sorted(found)


def _check_generator_version() -> None:
    try:
        installed = importlib.metadata.version("grpcio-tools")
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"gen_proto: grpcio-tools is not installed; pip install grpcio-tools=={GRPCIO_TOOLS_VERSION}")
    if installed != GRPCIO_TOOLS_VERSION:
        sys.exit(
            f"gen_proto: grpcio-tools {installed} is installed but the committed code is generated "
            f"with {GRPCIO_TOOLS_VERSION}; pip install grpcio-tools=={GRPCIO_TOOLS_VERSION}"
        )


def _generate(protos: list[Path], out_dir: Path) -> None:
    """Run protoc once over all protos, writing into out_dir (mirrors proto/)."""
    well_known = resources.files("grpc_tools") / "_proto"
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "-I",
        "proto",
        "-I",
        str(well_known),
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(Path("proto") / p) for p in protos),
    ]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write(result.stderr)  # protoc warnings (e.g. unused imports) must not go unseen
    if result.returncode != 0:
        sys.exit(f"gen_proto: protoc failed (exit {result.returncode})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with committed files, write nothing")
    args = parser.parse_args(argv)

    _check_generator_version()
    protos = _proto_files()
    if not protos:
        print(f"gen_proto: no .proto files under {PACKAGE_DIR}", file=sys.stderr)
        return 1
    expected = _expected_outputs(protos)
    orphans = sorted(set(_existing_outputs()) - set(expected))

    with tempfile.TemporaryDirectory(prefix="gen_proto_") as tmp:
        out_dir = Path(tmp)
        _generate(protos, out_dir)
        stale = [
            rel
            for rel in expected
            if not (PROTO_DIR / rel).is_file() or not filecmp.cmp(out_dir / rel, PROTO_DIR / rel, shallow=False)
        ]

        if args.check:
            if not stale and not orphans:
                print(f"gen_proto: OK, {len(expected)} generated files up to date for {len(protos)} protos")
                return 0
            for rel in stale:
                print(f"stale: proto/{rel}", file=sys.stderr)
            for rel in orphans:
                print(f"orphan (no .proto, or no service for _grpc): proto/{rel}", file=sys.stderr)
            print(
                f"gen_proto: FAILED, {len(stale)} stale and {len(orphans)} orphaned generated files; {FIX_HINT}",
                file=sys.stderr,
            )
            return 1

        for rel in stale:
            shutil.copyfile(out_dir / rel, PROTO_DIR / rel)
    for rel in orphans:
        (PROTO_DIR / rel).unlink()
    print(f"gen_proto: {len(protos)} protos, {len(expected)} generated files ({len(stale)} written, {len(orphans)} removed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
