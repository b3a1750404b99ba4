"""The build: validate → compute once → every report in parallel → appendices → index page.

One function, :func:`build`, is behind ``python -m analysis build`` and ``make reports``.
Guarantees (tested in ``tests/run/test_build.py``):

- an error-level finding stops the build before any report is written;
- the indicators are computed once and shared with every notebook through one file;
- every file is written atomically; a report's ``.manifest.json`` is written last;
- a report whose inputs (data, params, notebook, package) are unchanged is skipped;
- one failing report does not stop the others; the exit status is then 1 and the failure is
  listed with its cell error and the executed notebook kept for inspection;
- a second build into the same folder is refused while one runs.
"""

from __future__ import annotations

import functools
import os
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import __version__, config, params

REPORT_NOTEBOOKS = {
    "unit": "unit_report.py",
    "province": "province_report.py",
    "national": "national_report.py",
}
#: Folder of the national report of a country build (``<out>/<assessment>/national/``).
NATIONAL_DIR = "national"
PRODUCT_NAMES = {"html": "report.html", "pdf": "report.pdf"}
EXECUTED_NOTEBOOK = "report.ipynb"
CACHE_DIR = ".cache"

STATUS_VI = {"built": "Đã dựng", "skipped": "Không đổi", "failed": "Lỗi"}


@dataclass
class PlannedReport:
    """One report of the build: which unit, which assessment, where, and its inputs digest."""

    assessment_id: str
    unit_code: str
    unit_name: str
    is_province: bool
    report_dir: Path
    notebook: Path
    digest: str
    status: str = "pending"
    seconds: float = 0.0
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: Country builds: the unit's province ("" for the national report and one-province data)
    #: and the pickled Review of its scope, the only bundle its notebook loads.
    province_code: str = ""
    bundle: Path | None = None

    @property
    def key(self) -> str:
        return f"{self.assessment_id}/{self.unit_code}"


def unit_slug(code: str) -> str:
    """Folder name of a unit's reports (codes are validated ASCII; slugify is the safety net)."""
    from slugify import slugify

    return slugify(code, separator="_", lowercase=True) or "unit"


def package_digest_parts() -> list[Path]:
    """Source files whose change must rebuild every report."""
    files = [
        p
        for p in config.PACKAGE_DIR.rglob("*")
        if p.suffix in {".py", ".yaml", ".j2", ".css", ".html"}
        and "__pycache__" not in p.parts
        and config.DEMO_DATA_DIR not in p.parents
    ]
    return sorted(files)


def _relative_or_name(path: Path) -> str:
    """A path fit to be recorded in outputs: relative to the project, else the bare name."""
    try:
        return Path(path).resolve().relative_to(config.PROJ_ROOT).as_posix()
    except ValueError:
        return Path(path).name


def _shown(path: Path) -> str:
    """A path for the terminal: relative to the working directory when inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def render_report(report: PlannedReport, formats: Sequence[str], title: str, job, result) -> dict:
    """Worker-side step after a notebook ran: HTML, PDF, then the manifest (last)."""
    from analysis.run import render
    from analysis.run.files import atomic_write_text, write_manifest

    html = render.notebook_to_html(result.notebook, title=title)
    products = [EXECUTED_NOTEBOOK]
    if "html" in formats:
        atomic_write_text(report.report_dir / PRODUCT_NAMES["html"], html)
        products.append(PRODUCT_NAMES["html"])
    if "pdf" in formats:
        render.html_to_pdf(html, report.report_dir / PRODUCT_NAMES["pdf"])
        products.append(PRODUCT_NAMES["pdf"])
    write_manifest(
        report.report_dir,
        {
            "digest": report.digest,
            "products": products,
            "unit_code": report.unit_code,
            "assessment_id": report.assessment_id,
        },
    )
    return {"products": products}


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _select(values: list[str], wanted: str, what: str) -> list[str]:
    if wanted in ("all", "", None):
        return values
    chosen = [v.strip() for v in wanted.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in values]
    if unknown:
        raise ValueError(
            f"Không có {what} {', '.join(unknown)}. Các giá trị hợp lệ: {', '.join(values)}"
        )
    return chosen


def plan_reports(
    review,
    assessment_ids: list[str],
    unit: str,
    formats: Sequence[str],
    out_dir: Path,
    data_digest: str,
) -> list[PlannedReport]:
    """Every report the build should have, with its inputs digest."""
    from analysis.run.files import inputs_digest

    if getattr(review, "is_country", False):
        return _plan_country_reports(review, assessment_ids, unit, formats, out_dir, data_digest)
    names = review.unit_names()
    unit_codes = [review.province_code, *review.reporting_units["code"].tolist()]
    if unit not in ("all", "", None):
        aliases = {"province": review.province_code}
        unit = ",".join(aliases.get(u.strip(), u.strip()) for u in unit.split(","))
    chosen = _select(unit_codes, unit, "đơn vị")
    shared = inputs_digest(
        data_digest,
        __version__,
        *params.params_digest_parts(),
        *package_digest_parts(),
        ",".join(sorted(formats)),
    )
    planned = []
    for assessment_id in assessment_ids:
        for code in chosen:
            is_province = code == review.province_code
            notebook = (
                config.NOTEBOOKS_DIR / REPORT_NOTEBOOKS["province" if is_province else "unit"]
            )
            digest = inputs_digest(shared, notebook, assessment_id, code)
            planned.append(
                PlannedReport(
                    assessment_id=assessment_id,
                    unit_code=code,
                    unit_name=names.get(code, code),
                    is_province=is_province,
                    report_dir=out_dir / assessment_id / unit_slug(code),
                    notebook=notebook,
                    digest=digest,
                )
            )
    return planned


def scope_bundle(out_dir: Path, data_digest: str, scope: str | None = None) -> Path:
    """Where the build pickles a Review: one file, or one per province and the national one."""
    suffix = f"-{unit_slug(scope)}" if scope else ""
    return out_dir / CACHE_DIR / f"review-{data_digest[:16]}{suffix}.pkl"


def _plan_country_reports(
    review, assessment_ids, unit, formats, out_dir: Path, data_digest: str
) -> list[PlannedReport]:
    """A country's reports: per assessment the national report, then for each province its
    report and its units' reports, under ``<assessment>/<province>/<unit>/``."""
    from analysis.run.files import inputs_digest

    national = review.national
    names = review.unit_names()
    order: list[tuple[str, str]] = [(national.province_code, "")]
    for code, province in review.provinces.items():
        order.append((code, code))
        order += [(str(u), code) for u in province.reporting_units["code"]]
    if unit not in ("all", "", None):
        aliases = {"national": [national.province_code], "province": list(review.provinces)}
        unit = ",".join(c for u in unit.split(",") for c in aliases.get(u.strip(), [u.strip()]))
    chosen = set(_select([code for code, _ in order], unit, "đơn vị"))
    if NATIONAL_DIR in {unit_slug(code) for code in review.provinces}:
        raise ValueError(f"Mã tỉnh trùng tên thư mục dành cho báo cáo toàn quốc: {NATIONAL_DIR}")
    shared = inputs_digest(
        data_digest,
        __version__,
        *params.params_digest_parts(),
        *package_digest_parts(),
        ",".join(sorted(formats)),
    )
    planned = []
    for assessment_id in assessment_ids:
        for code, province in order:
            if code not in chosen:
                continue
            kind = "national" if not province else "province" if code == province else "unit"
            notebook = config.NOTEBOOKS_DIR / REPORT_NOTEBOOKS[kind]
            if kind == "national":
                report_dir = out_dir / assessment_id / NATIONAL_DIR
            else:
                report_dir = out_dir / assessment_id / unit_slug(province) / unit_slug(code)
            planned.append(
                PlannedReport(
                    assessment_id=assessment_id,
                    unit_code=code,
                    unit_name=names.get(code, code),
                    is_province=kind != "unit",
                    report_dir=report_dir,
                    notebook=notebook,
                    digest=inputs_digest(shared, notebook, assessment_id, code),
                    province_code=province,
                    bundle=scope_bundle(out_dir, data_digest, province or NATIONAL_DIR),
                )
            )
    return planned


def build(
    data: Path,
    assessment: str = "all",
    unit: str = "all",
    jobs: int | None = None,
    formats: Sequence[str] = ("html", "pdf", "xlsx"),
    out: Path | None = None,
    force: bool = False,
    tables_only: bool = False,
    console=None,
    scheduler: str | None = None,
    publish: bool = False,
) -> int:
    """Validate ``data`` and build the requested reports; return the exit status.

    Parameters
    ----------
    data : Path
        Input workbook or CSV folder.
    assessment, unit : str
        An id (comma list) or ``"all"``; ``unit`` also accepts ``"province"`` (for a
        multi-province input: every province) and ``"national"`` (the national report).
    jobs : int, optional
        Parallel workers; default one per core.
    formats : sequence of {"html", "pdf", "xlsx"}
        Products to write (the executed notebook is always kept).
    out : Path, optional
        Output folder; default ``outputs/``.
    force : bool
        Rebuild reports whose inputs did not change.
    tables_only : bool
        Stop after writing the summary and indicator tables.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``): the reports run on that cluster
        (:func:`analysis.run.distributed.run_on_cluster`) instead of the local pool. Checked
        first: unreachable, nothing is written and the status is 2.
    publish : bool
        Publishing mode: only the published appendices are written, per assessment
        ``appendix.xlsx``, ``appendix.html`` and ``appendix.pdf`` with small counts of people
        hidden (:func:`analysis.run.publish.build_published`), and an index page; default
        folder ``outputs/publish/``. No report notebook runs (a report's charts and rankings
        show the rates behind the hidden cells), no internal file (findings.xlsx, tables/,
        review cache) is written, and a folder holding the other mode's build is refused.

    Returns
    -------
    int
        0 when everything asked for was built or up to date, 1 when a report failed or the
        data have errors, 2 for a usage error.
    """
    from analysis.reproducible import pin_source_date_epoch
    from analysis.run.files import BuildLock, BuildLocked, sweep_temp_files

    console = console or _console()
    started = time.perf_counter()
    out_dir = Path(out) if out else config.outputs_dir() / ("publish" if publish else "")
    if publish and tables_only:
        console.print("[red]Không dùng --publish cùng --tables-only: các bảng chỉ tiêu là tài "
                      "liệu nội bộ.[/]")
        return 2
    bad_formats = sorted(set(formats) - {"html", "pdf", "xlsx"})
    if bad_formats:
        console.print(f"[red]Định dạng không hỗ trợ: {', '.join(bad_formats)}[/] (html, pdf, xlsx)")
        return 2
    try:
        assessment_ids = _select(list(params.assessments()), assessment, "kỳ đánh giá")
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    if clash := _other_mode_files(out_dir, publish):
        # a folder is published as a whole: internal files must never sit in a publish folder,
        # and an internal build must not mix its real numbers into one
        console.print(
            f"[red]Thư mục {_shown(out_dir)} đang chứa "
            + ("bản dựng nội bộ" if publish else "bản công bố")
            + f" ({', '.join(clash)}). Bản công bố và bản nội bộ phải ghi vào hai thư mục "
            "riêng: chọn thư mục khác bằng --out.[/]"
        )
        return 2
    if scheduler and not tables_only and not publish:
        from analysis.run.distributed import check_scheduler

        if (problem := check_scheduler(scheduler)) is not None:
            console.print(f"[red]{problem}[/]")
            return 2
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = BuildLock(out_dir).acquire()
    except BuildLocked as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    except OSError as exc:
        from rich.markup import escape

        from analysis.run.files import describe_os_error

        text = describe_os_error(exc, what="vào thư mục kết quả", path=_shown(out_dir))
        console.print(f"[red]{escape(text)}[/]")
        return 2
    try:
        pin_source_date_epoch()
        sweep_temp_files(out_dir)
        return _build_locked(
            data,
            assessment_ids,
            unit,
            jobs,
            formats,
            out_dir,
            force,
            tables_only,
            console,
            started,
            scheduler=scheduler,
            publish=publish,
        )
    except OSError as exc:
        from rich.markup import escape

        from analysis.run.files import describe_os_error

        shown = _shown(Path(exc.filename)) if exc.filename else None
        text = describe_os_error(exc, path=shown)
        console.print(f"[red]{escape(text)} Các báo cáo đã có vẫn giữ nguyên.[/]")
        return 1
    finally:
        _close_early_pool()
        if publish:  # the pickled Review holds every real number: never left in a publish folder
            import shutil

            shutil.rmtree(out_dir / CACHE_DIR, ignore_errors=True)
        lock.release()


def _build_locked(
    data,
    assessment_ids,
    unit,
    jobs,
    formats,
    out_dir,
    force,
    tables_only,
    console,
    started,
    scheduler=None,
    publish=False,
) -> int:
    from analysis.data.validate import validate_input
    from analysis.measure.review import compute_build_review
    from analysis.run.commands import print_findings, write_findings_xlsx

    request = _request_digest(data, assessment_ids, unit, formats, tables_only)
    if publish:  # the mode is part of the request: switching modes rebuilds
        from analysis.run.files import inputs_digest as _digest

        request = _digest(request, "publish")
    if not force and _nothing_changed(out_dir, request):
        console.print(
            "Dữ liệu, tham số và chương trình không đổi từ lần dựng trước: mọi "
            + ("phụ lục" if publish else "báo cáo")
            + f" đã cập nhật. Mục lục: {_shown(out_dir / 'index.html')} (dùng --force để dựng "
            "lại)."
        )
        return 0
    _forget_request(out_dir)
    if not publish:  # publishing mode runs no notebook: no worker to warm up
        _start_early_pool(jobs, unit, assessment_ids, tables_only, scheduler)
    with console.status("Đang kiểm tra dữ liệu…"):
        validation = validate_input(data)
    findings = validation.findings_frame()
    if not publish:  # internal-only: never written into a publish folder
        write_findings_xlsx(findings, out_dir / "findings.xlsx")
        from analysis.run.unit_findings import write_unit_findings_of

        write_unit_findings_of(data, findings, out_dir / "findings")
    if not validation.ok:
        print_findings(findings, Path(data).name, console=console)
        if publish:  # the findings name units and rows: internal, so not saved here
            console.print(
                f"[red]Dừng: dữ liệu có {len(validation.errors)} lỗi; chưa phụ lục nào được "
                "ghi.[/] Bản công bố không lưu kết quả kiểm tra ra tệp; xem đủ các lỗi bằng "
                f"lệnh: python -m analysis validate {_shown(Path(data))}. Sửa các lỗi rồi chạy lại."
            )
            return 1
        console.print(
            f"[red]Dừng: dữ liệu có {len(validation.errors)} lỗi; chưa báo cáo nào được "
            f"ghi.[/] Sửa các lỗi trên (xem {_shown(out_dir / 'findings.xlsx')}) rồi chạy lại."
        )
        return 1
    n_warn = len(findings)
    console.print(
        f"Dữ liệu {Path(data).name}: không có lỗi, {n_warn} cảnh báo "
        + ("(bản công bố: không ghi tệp kết quả kiểm tra)." if publish
           else f"(chi tiết: {_shown(out_dir / 'findings.xlsx')}).")
    )

    from analysis.run.files import atomic_write_bytes, inputs_digest

    # Names the review bundle: every input of the review (data, params, package, assessments),
    # so an existing bundle is this review and a resumed build need not recompute it.
    data_digest = inputs_digest(
        _data_part(data) if Path(data).exists() else validation.data.fingerprint,
        __version__,
        *params.params_digest_parts(),
        *package_digest_parts(),
        ",".join(assessment_ids),
    )
    review = None if (force or publish) else _cached_review(scope_bundle(out_dir, data_digest))
    reused = review is not None
    if review is None:
        with console.status("Đang tính các chỉ tiêu…"):
            review = compute_build_review(validation, assessment_ids)
    if publish:  # the published appendices only (analysis.run.publish.build_published)
        from analysis.run.publish import build_published

        if unit not in ("all", "", None):
            console.print("Bản công bố gồm phụ lục của mọi đơn vị: bỏ qua --unit.")
        files = build_published(review, assessment_ids, formats, out_dir, console)
        console.print(
            f"Đã ghi {len(files)} tệp — {time.perf_counter() - started:.1f} giây. "
            f"Mục lục: {_shown(out_dir / 'index.html')}"
        )
        _remember_request(out_dir, request, [], files=files)
        return 0
    _write_tables(review, validation, out_dir)
    if tables_only:
        console.print(f"Đã ghi các bảng chỉ tiêu vào {_shown(out_dir / 'tables')}.")
        return 0

    try:
        planned = plan_reports(review, assessment_ids, unit, formats, out_dir, data_digest)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    bundle = scope_bundle(out_dir, data_digest)
    if getattr(review, "is_country", False):
        # one bundle per province and one national: a report unpickles only its own scope
        for scope, part in review.scopes().items():
            atomic_write_bytes(
                scope_bundle(out_dir, data_digest, scope or NATIONAL_DIR),
                pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL),
            )
    elif not reused:
        atomic_write_bytes(bundle, pickle.dumps(review, protocol=pickle.HIGHEST_PROTOCOL))

    todo = []
    from analysis.run.files import is_up_to_date

    for report in planned:
        if not force and is_up_to_date(report.report_dir, report.digest):
            report.status = "skipped"
        else:
            todo.append(report)
    _run_reports(todo, review, bundle, formats, out_dir, jobs, console, data, scheduler=scheduler)

    if "xlsx" in formats:
        from analysis.run.publish import write_appendices

        for assessment_id in assessment_ids:
            if getattr(review, "is_country", False):
                from analysis.present.national import write_appendix

                for scope, part in review.scopes().items():
                    folder = unit_slug(scope) if scope else NATIONAL_DIR
                    (write_appendices if scope else write_appendix)(
                        part,
                        assessment_id,
                        out_dir / assessment_id / folder / "appendix.xlsx",
                    )
                continue
            write_appendices(review, assessment_id, out_dir / assessment_id / "appendix.xlsx")
    from analysis.run.publish import write_index

    write_index(review, planned, out_dir, formats)
    _print_summary(planned, console, time.perf_counter() - started, out_dir)
    if any(r.status == "failed" for r in planned):
        return 1
    _remember_request(out_dir, request, planned)
    return 0


BUILD_MANIFEST = ".build-manifest.json"


def _data_part(data) -> str | Path:
    """What stands for the data in the build's digests: a collection store by its current
    accepted versions (recording a rejected or a repeated file changes the store file, not the
    data the reports read), any other input by its content."""
    from analysis.data import store

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


def _request_digest(data, assessment_ids, unit, formats, tables_only) -> str:
    """Digest of everything a whole build depends on: data, params, package, notebooks, args."""
    from analysis.run.files import inputs_digest

    return inputs_digest(
        _data_part(data) if Path(data).exists() else str(data),
        __version__,
        *params.params_digest_parts(),
        *package_digest_parts(),
        *sorted(config.NOTEBOOKS_DIR.glob("*.py")),
        ",".join(assessment_ids),
        str(unit),
        ",".join(sorted(formats)),
        str(tables_only),
    )


def _nothing_changed(out_dir: Path, request: str) -> bool:
    """True when the last successful build had the same request and its outputs are intact."""
    import json

    from analysis.run.files import is_up_to_date

    try:
        recorded = json.loads((out_dir / BUILD_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if recorded.get("digest") != request or not (out_dir / "index.html").is_file():
        return False
    return all(
        is_up_to_date(out_dir / rel, digest) for rel, digest in recorded.get("reports", {}).items()
    ) and all((out_dir / rel).is_file() for rel in recorded.get("files", []))


def _forget_request(out_dir: Path) -> None:
    (out_dir / BUILD_MANIFEST).unlink(missing_ok=True)


def _other_mode_files(out_dir: Path, publish: bool, limit: int = 3) -> list[str]:
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


def _remember_request(
    out_dir: Path, request: str, planned: list[PlannedReport], files: Sequence[str] | None = None
) -> None:
    """Record a fully successful build (written last, atomically); ``files``: the files it
    wrote (relative to ``out_dir``), when it is not a build of reports (publishing mode)."""
    import json

    from analysis.run.files import atomic_write_text

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


def _write_tables(review, validation, out_dir: Path) -> None:
    """The indicator input tables and results as CSV (UTF-8 with BOM, so Excel reads it)."""
    from analysis.run.files import atomic_write_bytes
    from analysis.textsafe import csv_frame

    tables = {"summary.csv": validation.summary, "indicators.csv": review.indicators}
    if getattr(review, "is_country", False):
        for assessment_id in review.national.assessments:
            tables[f"progress_{assessment_id}.csv"] = review.progress(assessment_id)
    for assessment_id, part in getattr(review, "assessments", {}).items():
        tables[f"progress_{assessment_id}.csv"] = part.progress
    for name, frame in tables.items():
        if frame is None:
            continue
        text = csv_frame(frame).to_csv(index=False, lineterminator="\n")  # «=…» stays text
        atomic_write_bytes(out_dir / "tables" / name, ("\ufeff" + text).encode("utf-8"))


# The worker pool of the running build, started before validation so that the workers' kernel
# start and warm-up (~7 s of CPU each, mostly imports) overlap with validation and the
# indicators; taken over by _run_reports, closed by build() if never used (data errors).
# One build per process at a time (the output folder's lock guards the folder, this the pool).
_EARLY_POOL: list = []
TIMINGS_FILE = "build-times.json"


def _start_early_pool(jobs, unit, assessment_ids, tables_only, scheduler) -> None:
    from analysis.run.executor import WarmKernelPool

    _close_early_pool()
    if tables_only or scheduler:
        return
    # as _run_reports counts them: --jobs N (0 counts as 1), default one per core
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if unit not in ("all", "", None):  # a few named units: no more workers than reports
        named = [u for u in str(unit).split(",") if u.strip()]
        workers = min(workers, len(named) * len(assessment_ids))
    _EARLY_POOL.append(WarmKernelPool(max(1, workers), cwd=config.PROJ_ROOT).start())


def _cached_review(bundle: Path):
    """The review a previous run of this build pickled to ``bundle``, or None.

    The bundle's name digests every input of the review and it is written atomically, so a
    file that exists and unpickles is the review this build would compute: a build resumed
    after a crash or a Ctrl-C (or one that adds a unit) skips the indicators. Only
    one-province reviews are kept whole; a country's are split per scope and recomputed.
    """
    from analysis.measure.review import Review

    try:
        with open(bundle, "rb") as handle:
            review = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return review if isinstance(review, Review) else None


def _take_early_pool():
    return _EARLY_POOL.pop() if _EARLY_POOL else None


def _close_early_pool() -> None:
    while _EARLY_POOL:
        _EARLY_POOL.pop().close()


def _cost_rank(review):
    """Sort key of a report by its expected cost, longest first (the province report, then
    districts, then sector committees): the last reports to start are the short ones, so the
    workers finish close together."""
    units = getattr(review, "reporting_units", None)
    levels = (
        dict(zip(units["code"], units["level"], strict=False))
        if units is not None and {"code", "level"} <= set(units.columns)
        else {}
    )

    def key(report: PlannedReport) -> int:
        if report.is_province:
            return 0
        return 2 if levels.get(report.unit_code) == "sector" else 1

    return key


def _write_timings(out_dir: Path, reports: list[PlannedReport]) -> None:
    """Per-report wall and CPU seconds of this build (``.cache/build-times.json``; read by
    ``bench/bench_build.py``)."""
    import json

    from analysis.run.files import atomic_write_text

    rows = {
        r.key: {
            "kind": r.extra.get("level", "province" if r.is_province else "unit"),
            "status": r.status,
            **{
                k: r.extra[k]
                for k in ("exec_seconds", "post_seconds", "cpu_seconds")
                if k in r.extra
            },
        }
        for r in reports
    }
    text = json.dumps(rows, indent=1, sort_keys=True) + "\n"
    atomic_write_text(out_dir / CACHE_DIR / TIMINGS_FILE, text)


def _run_reports(
    todo, review, bundle: Path, formats, out_dir: Path, jobs, console, data, scheduler=None
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from analysis.run.executor import Job, run_many
    from analysis.run.files import invalidate_manifest

    if not todo:
        return
    rank = _cost_rank(review)
    todo = sorted(todo, key=rank)
    for report in todo:
        report.extra["level"] = ("province", "district", "sector")[rank(report)]
    by_key = {r.key: r for r in todo}
    job_list = []
    for report in todo:
        report.report_dir.mkdir(parents=True, exist_ok=True)
        invalidate_manifest(report.report_dir)
        assessment = params.assessment(report.assessment_id)
        title = f"{assessment['title_vi']} – {report.unit_name}"
        job_list.append(
            Job(
                key=report.key,
                nb_path=report.notebook,
                parameters={
                    "unit_code": report.unit_code,
                    "assessment_id": report.assessment_id,
                    "data_path": _relative_or_name(Path(data)),
                    "output_lang": "vi",
                    "bundle_path": os.path.relpath(report.bundle or bundle, report.report_dir),
                },
                output_ipynb=report.report_dir / EXECUTED_NOTEBOOK,
                post=functools.partial(render_report, report, tuple(formats), title),
                cwd=report.report_dir,
            )
        )
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    workers = max(1, min(workers, len(job_list)))
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("Đang dựng báo cáo", total=len(job_list))

        def on_done(result) -> None:
            report = by_key[result.key]
            report.seconds = result.exec_seconds + result.post_seconds
            report.extra["exec_seconds"] = result.exec_seconds
            report.extra["post_seconds"] = result.post_seconds
            if getattr(result, "cpu_seconds", None) is not None:
                report.extra["cpu_seconds"] = result.cpu_seconds
            if result.ok:
                report.status = "built"
            else:
                report.status = "failed"
                where = (
                    f"ô {result.error_cell_index}"
                    if result.error_cell_index is not None
                    else result.stage or ""
                )
                report.error = f"{where}: {result.error_name}: {result.error_value}".strip(": ")
            progress.update(task, advance=1, description=f"Đang dựng báo cáo ({result.key})")

        if scheduler:  # a Dask cluster instead of the local pool: same jobs, same on_done
            from analysis.run.distributed import run_on_cluster

            run_on_cluster(job_list, scheduler, on_done=on_done, cwd=config.PROJ_ROOT)
        else:
            run_many(
                job_list,
                workers=workers,
                on_done=on_done,
                cwd=config.PROJ_ROOT,
                pool=_take_early_pool(),
            )
    _write_timings(out_dir, todo)


def _print_summary(planned: list[PlannedReport], console, seconds: float, out_dir: Path) -> None:
    from rich.table import Table

    counts = {s: sum(r.status == s for r in planned) for s in STATUS_VI}
    table = Table(title="Kết quả dựng báo cáo")
    for col in ("Kỳ", "Đơn vị", "Trạng thái", "Thời gian (giây)"):
        table.add_column(col)
    for r in planned:
        style = {"built": "green", "skipped": "dim", "failed": "red"}.get(r.status, "")
        table.add_row(
            r.assessment_id,
            r.unit_name,
            f"[{style}]{STATUS_VI.get(r.status, r.status)}[/]",
            f"{r.seconds:.1f}" if r.status == "built" else "",
        )
    console.print(table)
    for r in planned:
        if r.status == "failed":
            nb = _shown(r.report_dir / EXECUTED_NOTEBOOK)
            console.print(f"[red]Lỗi[/] {r.key}: {r.error}\n  Sổ tay đã chạy: {nb}")
    console.print(
        f"Đã dựng {counts['built']}, không đổi {counts['skipped']}, lỗi {counts['failed']}"
        f" — {seconds:.1f} giây. Mục lục: {_shown(out_dir / 'index.html')}"
    )
