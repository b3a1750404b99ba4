"""The command-line actions behind ``python -m analysis`` (validate, template, demo, build)."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import config, params
from analysis.data import demo, prefill
from analysis.data.findings import findings_frame
from analysis.data.intake import read_input
from analysis.data.template import write_workbook
from analysis.data.validate import validate_input
from analysis.run.build import build
from analysis.run.console import fail, print_findings
from analysis.run.findings_files import write_findings_xlsx, write_unit_findings_of


def resolve_data_path(path: Path | None) -> Path:
    """The input to use: the given path, or the bundled demo data."""
    return Path(path) if path else config.DEMO_DATA_DIR


def validate_command(path: Path | None, out: Path | None) -> int:
    """``python -m analysis validate``: print findings, save them, exit 1 on any error."""
    data_path = resolve_data_path(path)
    result = validate_input(data_path)
    frame = result.findings_frame()
    print_findings(frame, data_path.name)
    out = out or (config.outputs_dir() / "findings.xlsx")
    write_findings_xlsx(frame, out)
    per_unit = write_unit_findings_of(data_path, frame, out.parent / "findings")
    print(f"Đã ghi kết quả kiểm tra: {out}"
          + (f" (và {len(per_unit)} tệp theo đơn vị trong {out.parent / 'findings'})"
             if per_unit else ""))
    return 0 if result.ok else 1


def prefill_command(unit: str, year: int | None, data: Path | None, out: Path) -> int:
    """``python -m analysis template --unit CODE|all --year YEAR``: pre-filled workbooks."""
    if year is None:
        return fail("Cần ghi năm số liệu: --year NĂM (ví dụ --year 2020).")
    plan = params.plan()
    if not int(plan["first_year"]) <= year <= int(plan["last_year"]) + 1:
        return fail(f"Năm {year} ngoài kỳ kế hoạch ({plan['first_year']}–{plan['last_year']}).")
    source = resolve_data_path(data)
    tables, findings = read_input(source)
    errors = [f for f in findings if f.is_error]
    if errors or tables.tables["units"].empty:
        print_findings(findings_frame(errors), source.name)
        return fail(f"Không lập được mẫu: dữ liệu nguồn «{source.name}» có lỗi hoặc thiếu bảng "
                    "«Đơn vị». Sửa dữ liệu nguồn (lệnh validate) rồi chạy lại.")
    try:
        if unit == "all":
            paths = prefill.write_all(tables.tables, year, out)
            print(f"Đã ghi {len(paths)} mẫu nhập liệu năm {year} vào {out}")
        else:
            prefill.write_unit_workbook(tables.tables, unit, year, out)
            print(f"Đã ghi mẫu nhập liệu năm {year} của đơn vị {unit}: {out}")
    except prefill.PrefillError as exc:
        return fail(str(exc))
    return 0


def demo_command(out: Path | None, country: int | None, seed: int, xlsx: bool) -> int:
    """``python -m analysis demo``: (re)write the demo dataset or a synthetic country."""
    if country:
        target = out or (config.outputs_dir() / f"country-{country}")
        demo.write_country(target, n_provinces=country, seed=seed)
        print(f"Đã ghi dữ liệu {country} tỉnh giả lập vào {target}")
        return 0
    target = out or config.DEMO_DATA_DIR
    demo.write_demo(target, seed=seed)
    if xlsx:
        book = target / "demo.xlsx" if out else config.outputs_dir() / "demo.xlsx"
        write_workbook(demo.generate_demo(seed=seed), book)
        print(f"Đã ghi sổ Excel: {book}")
    print(f"Đã ghi dữ liệu mẫu vào {target}")
    return 0


def build_command(args: argparse.Namespace) -> int:
    """``python -m analysis build``: see :func:`analysis.run.build.build`."""
    return build(
        data=resolve_data_path(args.data),
        assessment=args.assessment,
        unit=args.unit,
        jobs=args.jobs or None,
        formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
        out=args.out,
        force=args.force,
        tables_only=args.tables_only,
        scheduler=getattr(args, "scheduler", None),
        publish=getattr(args, "publish", False),
    )
