"""The build: validate → compute once → every report in parallel → appendices → index page.

One function, :func:`build`, is behind ``python -m analysis build`` and ``make reports``. What
it calls, each in its own module: the output layout (:mod:`~analysis.run.layout`), the plan of
reports (:mod:`~analysis.run.planning`), the runner of their notebooks, local pool or cluster
(:mod:`~analysis.run.runner`), each report's files (:mod:`~analysis.run.products`), the
build's own files (:mod:`~analysis.run.build_files`), the index page
(:mod:`~analysis.run.index_page`), publishing mode (:mod:`~analysis.run.publish`) and the
record of the last build (:mod:`~analysis.run.build_record`).
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
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analysis import __version__, config, params
from analysis.atomic import atomic_write_bytes
from analysis.data.validate import validate_input
from analysis.measure import review as review_module
from analysis.reproducible import pin_source_date_epoch
from analysis.run.build_files import write_internal_appendices, write_tables, write_timings
from analysis.run.build_record import (
    cached_review,
    data_part,
    forget_request,
    nothing_changed,
    other_mode_files,
    remember_request,
    request_digest,
)
from analysis.run.console import make_console, print_findings, shown
from analysis.run.files import (
    BuildLock,
    BuildLocked,
    describe_os_error,
    inputs_digest,
    invalidate_manifest,
    is_up_to_date,
    sweep_temp_files,
)
from analysis.run.findings_files import write_findings_xlsx, write_unit_findings_of
from analysis.run.index_page import write_index
from analysis.run.jobs import Job
from analysis.run.layout import (
    CACHE_DIR,
    EXECUTED_NOTEBOOK,
    NATIONAL_DIR,
    package_digest_parts,
    relative_or_name,
    scope_bundle,
)
from analysis.run.planning import PlannedReport, cost_rank, plan_reports, select
from analysis.run.pool import WarmKernelPool
from analysis.run.products import render_report
from analysis.run.publish import build_published
from analysis.run.runner import scheduler_problem, select_runner

STATUS_VI = {"built": "Đã dựng", "skipped": "Không đổi", "failed": "Lỗi"}


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
    console = console or make_console()
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
        assessment_ids = select(list(params.assessments()), assessment, "kỳ đánh giá")
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    if clash := other_mode_files(out_dir, publish):
        # a folder is published as a whole: internal files must never sit in a publish folder,
        # and an internal build must not mix its real numbers into one
        console.print(
            f"[red]Thư mục {shown(out_dir)} đang chứa "
            + ("bản dựng nội bộ" if publish else "bản công bố")
            + f" ({', '.join(clash)}). Bản công bố và bản nội bộ phải ghi vào hai thư mục "
            "riêng: chọn thư mục khác bằng --out.[/]"
        )
        return 2
    if scheduler and not tables_only and not publish:
        if (problem := scheduler_problem(scheduler)) is not None:
            console.print(f"[red]{problem}[/]")
            return 2
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = BuildLock(out_dir).acquire()
    except BuildLocked as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    except OSError as exc:
        text = describe_os_error(exc, what="vào thư mục kết quả", path=shown(out_dir))
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
        where = shown(Path(exc.filename)) if exc.filename else None
        text = describe_os_error(exc, path=where)
        console.print(f"[red]{escape(text)} Các báo cáo đã có vẫn giữ nguyên.[/]")
        return 1
    finally:
        _close_early_pool()
        if publish:  # the pickled Review holds every real number: never left in a publish folder
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
    request = request_digest(data, assessment_ids, unit, formats, tables_only)
    if publish:  # the mode is part of the request: switching modes rebuilds
        request = inputs_digest(request, "publish")
    if not force and nothing_changed(out_dir, request):
        console.print(
            "Dữ liệu, tham số và chương trình không đổi từ lần dựng trước: mọi "
            + ("phụ lục" if publish else "báo cáo")
            + f" đã cập nhật. Mục lục: {shown(out_dir / 'index.html')} (dùng --force để dựng "
            "lại)."
        )
        return 0
    forget_request(out_dir)
    if not publish:  # publishing mode runs no notebook: no worker to warm up
        _start_early_pool(jobs, unit, assessment_ids, tables_only, scheduler)
    with console.status("Đang kiểm tra dữ liệu…"):
        validation = validate_input(data)
    findings = validation.findings_frame()
    if not publish:  # internal-only: never written into a publish folder
        write_findings_xlsx(findings, out_dir / "findings.xlsx")
        write_unit_findings_of(data, findings, out_dir / "findings")
    if not validation.ok:
        print_findings(findings, Path(data).name, console=console)
        if publish:  # the findings name units and rows: internal, so not saved here
            console.print(
                f"[red]Dừng: dữ liệu có {len(validation.errors)} lỗi; chưa phụ lục nào được "
                "ghi.[/] Bản công bố không lưu kết quả kiểm tra ra tệp; xem đủ các lỗi bằng "
                f"lệnh: python -m analysis validate {shown(Path(data))}. Sửa các lỗi rồi chạy lại."
            )
            return 1
        console.print(
            f"[red]Dừng: dữ liệu có {len(validation.errors)} lỗi; chưa báo cáo nào được "
            f"ghi.[/] Sửa các lỗi trên (xem {shown(out_dir / 'findings.xlsx')}) rồi chạy lại."
        )
        return 1
    n_warn = len(findings)
    console.print(
        f"Dữ liệu {Path(data).name}: không có lỗi, {n_warn} cảnh báo "
        + ("(bản công bố: không ghi tệp kết quả kiểm tra)." if publish
           else f"(chi tiết: {shown(out_dir / 'findings.xlsx')}).")
    )

    # Names the review bundle: every input of the review (data, params, package, assessments),
    # so an existing bundle is this review and a resumed build need not recompute it.
    data_digest = inputs_digest(
        data_part(data) if Path(data).exists() else validation.data.fingerprint,
        __version__,
        *params.params_digest_parts(),
        *package_digest_parts(),
        ",".join(assessment_ids),
    )
    review = None if (force or publish) else cached_review(scope_bundle(out_dir, data_digest))
    reused = review is not None
    if review is None:
        with console.status("Đang tính các chỉ tiêu…"):
            review = review_module.compute_build_review(validation, assessment_ids)
    if publish:  # the published appendices only (analysis.run.publish.build_published)
        if unit not in ("all", "", None):
            console.print("Bản công bố gồm phụ lục của mọi đơn vị: bỏ qua --unit.")
        files = build_published(review, assessment_ids, formats, out_dir, console)
        console.print(
            f"Đã ghi {len(files)} tệp — {time.perf_counter() - started:.1f} giây. "
            f"Mục lục: {shown(out_dir / 'index.html')}"
        )
        remember_request(out_dir, request, [], files=files)
        return 0
    write_tables(review, validation, out_dir)
    if tables_only:
        console.print(f"Đã ghi các bảng chỉ tiêu vào {shown(out_dir / 'tables')}.")
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
    for report in planned:
        if not force and is_up_to_date(report.report_dir, report.digest):
            report.status = "skipped"
        else:
            todo.append(report)
    _run_reports(todo, review, bundle, formats, out_dir, jobs, console, data, scheduler=scheduler)

    if "xlsx" in formats:
        write_internal_appendices(review, assessment_ids, out_dir)
    write_index(review, planned, out_dir, formats)
    _print_summary(planned, console, time.perf_counter() - started, out_dir)
    if any(r.status == "failed" for r in planned):
        return 1
    remember_request(out_dir, request, planned)
    return 0


# The worker pool of the running build, started before validation so that the workers' kernel
# start and warm-up (~7 s of CPU each, mostly imports) overlap with validation and the
# indicators; taken over by _run_reports, closed by build() if never used (data errors).
# One build per process at a time (the output folder's lock guards the folder, this the pool).
_EARLY_POOL: list = []


def _start_early_pool(jobs, unit, assessment_ids, tables_only, scheduler) -> None:
    _close_early_pool()
    if tables_only or scheduler:
        return
    # as _run_reports counts them: --jobs N (0 counts as 1), default one per core
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if unit not in ("all", "", None):  # a few named units: no more workers than reports
        named = [u for u in str(unit).split(",") if u.strip()]
        workers = min(workers, len(named) * len(assessment_ids))
    _EARLY_POOL.append(WarmKernelPool(max(1, workers), cwd=config.PROJ_ROOT).start())


def _take_early_pool():
    return _EARLY_POOL.pop() if _EARLY_POOL else None


def _close_early_pool() -> None:
    while _EARLY_POOL:
        _EARLY_POOL.pop().close()


def _run_reports(
    todo, review, bundle: Path, formats, out_dir: Path, jobs, console, data, scheduler=None
) -> None:
    if not todo:
        return
    rank = cost_rank(review)
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
                    "data_path": relative_or_name(Path(data)),
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

        # the local pool, or the Dask cluster of --scheduler: same jobs, same on_done
        runner = select_runner(
            scheduler,
            workers,
            cwd=config.PROJ_ROOT,
            pool=None if scheduler else _take_early_pool(),
        )
        runner.run(job_list, on_done=on_done)
    write_timings(out_dir, todo)


def _print_summary(planned: list[PlannedReport], console, seconds: float, out_dir: Path) -> None:
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
            nb = shown(r.report_dir / EXECUTED_NOTEBOOK)
            console.print(f"[red]Lỗi[/] {r.key}: {r.error}\n  Sổ tay đã chạy: {nb}")
    console.print(
        f"Đã dựng {counts['built']}, không đổi {counts['skipped']}, lỗi {counts['failed']}"
        f" — {seconds:.1f} giây. Mục lục: {shown(out_dir / 'index.html')}"
    )
