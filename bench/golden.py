"""Golden hashes of three reference builds, to prove a refactoring changed no output.

Builds, with one fixed ``SOURCE_DATE_EPOCH``, the full demo build, the publish build of the
demo and a 2-province synthetic country build, and records the sha256 of every deliverable.

    python bench/golden.py record golden.json      # before the first move
    python bench/golden.py check golden.json       # after each step: lists what differs

What is compared and why some files are not compared byte for byte:
- every HTML, PDF, XLSX, CSV file and the index pages: byte for byte;
- executed notebooks: their parameters and every cell's outputs (code cells may change
  import lines in a refactoring; run times differ between any two runs); the
  ``bundle_path`` parameter is masked, since it names a cache file by a digest of the
  package source;
- not compared: build and report manifests and the ``.cache`` folder, because they record
  the digest of the package's own source and pickled class paths, which any refactoring
  changes by design (the manifests' *other* fields are covered by the reproducibility test).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIXED_EPOCH = "1593561600"  # 2020-07-01, as tests/conftest.py
SKIPPED_SUFFIXES = {".pkl", ".lock"}
SKIPPED_NAMES = {".build-manifest.json", "manifest.json", "build-times.json"}


def _notebook_digest(data: bytes) -> str:
    nb = json.loads(data)
    parameters = dict(nb.get("metadata", {}).get("papermill", {}).get("parameters") or {})
    # The bundle's file name is a digest that includes the package's own source (a cache key):
    # any refactoring renames it. Its content is compared through the outputs it produces.
    if parameters.get("bundle_path"):
        parameters["bundle_path"] = "<bundle>"
    kept = {
        "parameters": parameters,
        "outputs": [cell.get("outputs", []) for cell in nb.get("cells", [])],
    }
    return hashlib.sha256(json.dumps(kept, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def hashes(out: Path) -> dict[str, str]:
    """Digest of every compared file under ``out`` (relative POSIX path → hex)."""
    result = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or ".cache" in path.parts or path.suffix in SKIPPED_SUFFIXES:
            continue
        if path.name in SKIPPED_NAMES or path.name.endswith(".manifest.json"):
            continue
        data = path.read_bytes()
        result[rel] = (_notebook_digest(data) if path.suffix == ".ipynb"
                       else hashlib.sha256(data).hexdigest())
    return result


def _run(args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "analysis", *args], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"build failed: {' '.join(args)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def build_all(work: Path, jobs: int) -> dict[str, dict[str, str]]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    country = work / "country2"
    _run(["demo", "--country", "2", "--out", str(country)], env)
    builds = {
        "demo": ["build", "--out", str(work / "demo"), "--jobs", str(jobs)],
        "publish": ["build", "--publish", "--out", str(work / "publish")],
        "country2": ["build", "--data", str(country), "--out", str(work / "country2_out"),
                     "--jobs", str(jobs)],
    }
    result = {}
    for name, args in builds.items():
        _run(args, env)
        out = Path(args[args.index("--out") + 1])
        result[name] = hashes(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["record", "check"])
    parser.add_argument("file", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="golden-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    try:
        current = build_all(work, args.jobs)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.mode == "record":
        args.file.write_text(json.dumps(current, indent=1, sort_keys=True), encoding="utf-8")
        print(f"recorded {sum(map(len, current.values()))} files in {args.file}")
        return 0
    golden = json.loads(args.file.read_text(encoding="utf-8"))
    bad = 0
    for build, files in golden.items():
        now = current.get(build, {})
        for rel in sorted(set(files) | set(now)):
            if files.get(rel) != now.get(rel):
                state = "missing" if rel not in now else "new" if rel not in files else "differs"
                print(f"{build}: {rel}: {state}")
                bad += 1
        print(f"{build}: {len(files)} files, {bad} differing so far")
    print("golden hashes match" if bad == 0 else f"{bad} files differ")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
