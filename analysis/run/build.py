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

REPORT_NOTEBOOKS = {"unit": "unit_report.py", "province": "province_report.py"}
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
) -> int:
    """Validate ``data`` and build the requested reports; return the exit status.

    Parameters
    ----------
    data : Path
        Input workbook or CSV folder.
    assessment, unit : str
        An id (comma list) or ``"all"``; ``unit`` also accepts ``"province"``.
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
    out_dir = Path(out) if out else config.outputs_dir()
    bad_formats = sorted(set(formats) - {"html", "pdf", "xlsx"})
    if bad_formats:
        console.print(f"[red]Định dạng không hỗ trợ: {', '.join(bad_formats)}[/] (html, pdf, xlsx)")
        return 2
    try:
        assessment_ids = _select(list(params.assessments()), assessment, "kỳ đánh giá")
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = BuildLock(out_dir).acquire()
    except BuildLocked as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    except OSError as exc:
        console.print(f"[red]Không ghi được vào thư mục kết quả {out_dir}: {exc.strerror}[/]")
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
        )
    except OSError as exc:
        console.print(
            f"[red]Lỗi ghi tệp: {exc.strerror or exc} ({_shown(Path(exc.filename or '.'))}). "
            "Các báo cáo đã có vẫn giữ nguyên.[/]"
        )
        return 1
    finally:
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
) -> int:
    from analysis.data.validate import validate_input
    from analysis.measure.review import compute_review
    from analysis.run.commands import print_findings, write_findings_xlsx

    request = _request_digest(data, assessment_ids, unit, formats, tables_only)
    if not force and _nothing_changed(out_dir, request):
        console.print(
            "Dữ liệu, tham số và chương trình không đổi từ lần dựng trước: mọi báo cáo đã "
            f"cập nhật. Mục lục: {_shown(out_dir / 'index.html')} (dùng --force để dựng lại)."
        )
        return 0
    _forget_request(out_dir)
    with console.status("Đang kiểm tra dữ liệu…"):
        validation = validate_input(data)
    findings = validation.findings_frame()
    write_findings_xlsx(findings, out_dir / "findings.xlsx")
    if not validation.ok:
        print_findings(findings, Path(data).name, console=console)
        console.print(
            f"[red]Dừng: dữ liệu có {len(validation.errors)} lỗi; chưa báo cáo nào được "
            "ghi.[/] Sửa các lỗi trên (xem outputs/findings.xlsx) rồi chạy lại."
        )
        return 1
    n_warn = len(findings)
    console.print(
        f"Dữ liệu {Path(data).name}: không có lỗi, {n_warn} cảnh báo "
        f"(chi tiết: {_shown(out_dir / 'findings.xlsx')})."
    )

    with console.status("Đang tính các chỉ tiêu…"):
        review = compute_review(validation, assessment_ids)
    _write_tables(review, validation, out_dir)
    if tables_only:
        console.print(f"Đã ghi các bảng chỉ tiêu vào {_shown(out_dir / 'tables')}.")
        return 0

    from analysis.run.files import atomic_write_bytes, inputs_digest

    data_digest = inputs_digest(Path(data)) if Path(data).exists() else validation.data.fingerprint
    try:
        planned = plan_reports(review, assessment_ids, unit, formats, out_dir, data_digest)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    bundle = out_dir / CACHE_DIR / f"review-{data_digest[:16]}.pkl"
    atomic_write_bytes(bundle, pickle.dumps(review, protocol=pickle.HIGHEST_PROTOCOL))

    todo = []
    from analysis.run.files import is_up_to_date

    for report in planned:
        if not force and is_up_to_date(report.report_dir, report.digest):
            report.status = "skipped"
        else:
            todo.append(report)
    _run_reports(todo, review, bundle, formats, out_dir, jobs, console, data)

    if "xlsx" in formats:
        from analysis.run.publish import write_appendices

        for assessment_id in assessment_ids:
            write_appendices(review, assessment_id, out_dir / assessment_id / "appendix.xlsx")
    from analysis.run.publish import write_index

    write_index(review, planned, out_dir, formats)
    _print_summary(planned, console, time.perf_counter() - started, out_dir)
    if any(r.status == "failed" for r in planned):
        return 1
    _remember_request(out_dir, request, planned)
    return 0


BUILD_MANIFEST = ".build-manifest.json"


def _request_digest(data, assessment_ids, unit, formats, tables_only) -> str:
    """Digest of everything a whole build depends on: data, params, package, notebooks, args."""
    from analysis.run.files import inputs_digest

    return inputs_digest(
        Path(data) if Path(data).exists() else str(data),
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


def _remember_request(out_dir: Path, request: str, planned: list[PlannedReport]) -> None:
    """Record a fully successful build (written last, atomically)."""
    import json

    from analysis.run.files import atomic_write_text

    reports = {r.report_dir.relative_to(out_dir).as_posix(): r.digest for r in planned}
    files = ["index.html", "findings.xlsx"] + sorted(
        {f"{r.assessment_id}/appendix.xlsx" for r in planned
         if (out_dir / r.assessment_id / "appendix.xlsx").is_file()}
    )
    body = {"digest": request, "reports": reports, "files": files}
    atomic_write_text(out_dir / BUILD_MANIFEST, json.dumps(body, indent=1, sort_keys=True) + "\n")


def _write_tables(review, validation, out_dir: Path) -> None:
    """The indicator input tables and results as CSV (UTF-8 with BOM, so Excel reads it)."""
    from analysis.run.files import atomic_write_bytes

    tables = {"summary.csv": validation.summary, "indicators.csv": review.indicators}
    for assessment_id, part in review.assessments.items():
        tables[f"progress_{assessment_id}.csv"] = part.progress
    for name, frame in tables.items():
        if frame is None:
            continue
        text = frame.to_csv(index=False, lineterminator="\n")
        atomic_write_bytes(out_dir / "tables" / name, ("\ufeff" + text).encode("utf-8"))


def _run_reports(todo, review, bundle: Path, formats, out_dir: Path, jobs, console, data) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from analysis.run.executor import Job, run_many
    from analysis.run.files import invalidate_manifest

    if not todo:
        return
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
                    "bundle_path": os.path.relpath(bundle, report.report_dir),
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

        run_many(job_list, workers=workers, on_done=on_done, cwd=config.PROJ_ROOT)


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
