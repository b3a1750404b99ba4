"""What a build remembers from one run to the next: the digest of the whole request and the
record of the last successful build (``.build-manifest.json``: a build that changed nothing
returns early), the pickled review (a resumed build reuses it), and which mode's files an
output folder holds (internal and published builds never share a folder)."""

from __future__ import annotations

import json
import pickle
from collections.abc import Sequence
from pathlib import Path

from analysis import __version__, config, params
from analysis.atomic import atomic_write_text
from analysis.data import store
from analysis.measure.review import Review
from analysis.run.files import inputs_digest, is_up_to_date
from analysis.run.layout import BUILD_MANIFEST, CACHE_DIR, package_digest_parts
from analysis.run.planning import PlannedReport


def data_part(data) -> str | Path:
    """What stands for the data in the build's digests: a collection store by its current
    accepted versions (recording a rejected or a repeated file changes the store file, not the
    data the reports read), any other input by its content."""
    path = Path(data)
    if path.is_file() and store.is_store(path):
        try:
            conn = store.connect(path, create=False)
        except store.StoreError:
            return path
        try:
            return f"store:{store.fingerprint(conn)}"
        finally:
            conn.close()
    return path


def request_digest(data, assessment_ids, unit, formats, tables_only) -> str:
    """Digest of everything a whole build depends on: data, params, package, notebooks, args."""
    return inputs_digest(
        data_part(data) if Path(data).exists() else str(data),
        __version__,
        *params.params_digest_parts(),
        *package_digest_parts(),
        *sorted(config.NOTEBOOKS_DIR.glob("*.py")),
        ",".join(assessment_ids),
        str(unit),
        ",".join(sorted(formats)),
        str(tables_only),
    )


def nothing_changed(out_dir: Path, request: str) -> bool:
    """True when the last successful build had the same request and its outputs are intact."""
    try:
        recorded = json.loads((out_dir / BUILD_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if recorded.get("digest") != request or not (out_dir / "index.html").is_file():
        return False
    return all(
        is_up_to_date(out_dir / rel, digest) for rel, digest in recorded.get("reports", {}).items()
    ) and all((out_dir / rel).is_file() for rel in recorded.get("files", []))


def forget_request(out_dir: Path) -> None:
    (out_dir / BUILD_MANIFEST).unlink(missing_ok=True)


def other_mode_files(out_dir: Path, publish: bool, limit: int = 3) -> list[str]:
    """Files in ``out_dir`` that the other mode's build wrote (at most ``limit``, as shown).

    A publishing build must not find the internal files (findings, tables, the review cache,
    report folders); an internal build must not find published appendices (``appendix.html``
    or ``.pdf``, which only publishing mode writes) beside which it would put real numbers.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    folders = [out_dir / a for a in params.assessments() if (out_dir / a).is_dir()]
    if publish:
        found = [out_dir / n for n in ("findings.xlsx", "findings", "tables")
                 if (out_dir / n).exists()]
        found += sorted((out_dir / CACHE_DIR).glob("review-*.pkl"))
        for folder in folders:
            found += sorted(m.parent for m in folder.glob("*/.manifest.json"))
            found += sorted(m.parent for m in folder.glob("*/*/.manifest.json"))
    else:
        found = [
            p
            for folder in folders
            for pattern in ("appendix.html", "appendix.pdf", "*/appendix.html", "*/appendix.pdf")
            for p in sorted(folder.glob(pattern))
        ]
    return [p.relative_to(out_dir).as_posix() for p in found[:limit]]


def remember_request(
    out_dir: Path, request: str, planned: list[PlannedReport], files: Sequence[str] | None = None
) -> None:
    """Record a fully successful build (written last, atomically); ``files``: the files it
    wrote (relative to ``out_dir``), when it is not a build of reports (publishing mode)."""
    reports = {r.report_dir.relative_to(out_dir).as_posix(): r.digest for r in planned}
    if files is not None:
        files = sorted(files)
    else:
        files = ["index.html"] + [f for f in ["findings.xlsx"] if (out_dir / f).is_file()] + sorted(
            {f"{r.assessment_id}/appendix.xlsx" for r in planned
             if (out_dir / r.assessment_id / "appendix.xlsx").is_file()}
        )
    body = {"digest": request, "reports": reports, "files": files}
    atomic_write_text(out_dir / BUILD_MANIFEST, json.dumps(body, indent=1, sort_keys=True) + "\n")


def cached_review(bundle: Path):
    """The review a previous run of this build pickled to ``bundle``, or None.

    The bundle's name digests every input of the review and it is written atomically, so a
    file that exists and unpickles is the review this build would compute: a build resumed
    after a crash or a Ctrl-C (or one that adds a unit) skips the indicators. Only
    one-province reviews are kept whole; a country's are split per scope and recomputed.
    """
    try:
        with open(bundle, "rb") as handle:
            review = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return review if isinstance(review, Review) else None
