"""Reading a workbook or a folder of CSV (:func:`read_path`): files and folders, sheets to
tables (:class:`Reader`), the tables assembled, and the content fingerprint.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pandas as pd

from analysis.data import schema
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.reading.common import (
    InputData,
    debug,
    empty_frame,
    int_vi,
    is_blank_row,
    unexpected,
)
from analysis.data.reading.csv_files import csv_sheets
from analysis.data.reading.headers import (
    guess_table,
    table_in_rows,
    table_keys,
    table_list,
    unknown_sheet,
)
from analysis.data.reading.sheets import Emitter, check_duplicate_keys, read_table
from analysis.data.reading.sources import Sheet
from analysis.data.reading.workbooks import (
    ARCHIVE_SUFFIXES,
    FORMAT_NAMES,
    SAVE_AS_XLSX,
    WORKBOOK_SUFFIXES,
    archive_finding,
    check_workbook_file,
    fast_sheets,
    workbook_sheet,
    zip_members,
)
from analysis.data.template import (
    COVER_SHEET,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    PREFILLED_SHEET,
    sheet_name,
)
from analysis.textsafe import ESCAPED_UNDERSCORE, unescape_text


def read_path(path: str | Path) -> tuple[InputData, list[Finding]]:
    """Read one workbook or a folder of CSV; return the typed tables and every finding.

    :func:`analysis.data.intake.read_input` without its other sources (the collection store,
    a folder of returned workbooks). Never raises on user input.
    """
    source = Path(path)
    findings: list[Finding] = []
    parts: dict[str, list[pd.DataFrame]] = {}
    emitters: dict[str, Emitter] = {}
    reader = _Reader(findings, parts, emitters)
    files: list[Path] = []
    name = source.name or str(source)

    if not source.exists():
        findings.append(Finding(
            ERROR, "input_missing",
            f"Không tìm thấy tệp hoặc thư mục «{source}». Hãy kiểm tra lại đường dẫn.",
            file=name,
        ))
    elif source.is_dir():
        files = reader.read_folder(source)
    else:
        files = [source]
        reader.read_file(source)

    if source.exists() and not reader.matched_any and not any(f.is_error for f in findings):
        reader.no_tables(name, folder=source.is_dir())
    tables = reader.assemble()
    if source.is_file() and source.suffix.lower() in WORKBOOK_SUFFIXES:
        _unescape_tables(tables)
    if reader.matched_any and not any(len(df) for df in tables.values()):
        findings.append(Finding(
            WARNING, "no_data",
            "Chưa có dòng số liệu nào: các bảng mới chỉ có dòng tiêu đề hoặc còn trống. Hãy nhập "
            "số liệu bên dưới dòng tiêu đề (trong tệp mẫu: từ dòng 3) rồi kiểm tra lại.",
            file=name,
        ))
    names = [p.relative_to(source).as_posix() if source.is_dir() else p.name for p in files]
    fingerprint = content_fingerprint(files, folder=source.is_dir(), names=names)
    data = InputData(tables=tables, source=source, fingerprint=fingerprint, files=sorted(names))
    return data, findings


def _unescape_tables(tables: dict[str, pd.DataFrame]) -> None:
    """Workbook text escaped OOXML-style (``_x005f_`` = «_», as the suite's writers and Excel
    write a literal «_x…_»), back to literal; openpyxl reads cells without unescaping."""
    needle = ESCAPED_UNDERSCORE.casefold()
    for frame in tables.values():
        for col in frame.columns:
            if col.startswith("_") or frame[col].dtype != "string":
                continue
            s = frame[col]
            # one look at the whole column first: almost no text holds «_x005f_»
            if needle not in "\0".join(s.to_numpy(dtype=object, na_value="").tolist()).casefold():
                continue
            has = s.str.contains(ESCAPED_UNDERSCORE, case=False, regex=False, na=False)
            if has.any():
                frame.loc[has, col] = s[has].map(unescape_text)


class _Reader:
    """Collects sheets from files, reads each into its table, and assembles the tables."""

    def __init__(self, findings: list[Finding], parts: dict[str, list[pd.DataFrame]],
                 emitters: dict[str, Emitter]):
        self.findings = findings
        self.parts = parts
        self.emitters = emitters
        self.sources: dict[str, list[str]] = {}
        self.matched_any = False

    # files -------------------------------------------------------------------------------
    def read_folder(self, folder: Path) -> list[Path]:
        """Read every ``.csv`` of ``folder`` and of its sub-folders (one per year, say, to
        :data:`MAX_FOLDER_DEPTH`); a file's name in findings and provenance keeps its
        sub-folder («2015/organizations.csv»). Returns the files read."""
        csvs: list[tuple[Path, str]] = []
        self._walk(folder, "", csvs)
        for p, label in csvs:
            self.read_file(p, label)
        sub = sorted({label.rpartition("/")[0] for _, label in csvs if "/" in label})
        if sub:
            n = sum("/" in label for _, label in csvs)
            shown = ", ".join(f"«{d}/»" for d in sub[:8]) + (" …" if len(sub) > 8 else "")
            self.findings.append(Finding(
                WARNING, "csv_in_subfolders",
                f"Đã đọc cả {int_vi(n)} tệp .csv trong {int_vi(len(sub))} thư mục con của "
                f"«{folder.name}»: {shown}. Trong các thông báo, tên tệp có kèm thư mục con "
                f"(ví dụ «{next(lb for _, lb in csvs if '/' in lb)}»). Nếu thư mục con chứa "
                "bản sao cũ, hãy chuyển nó ra khỏi thư mục số liệu.",
                file=folder.name, extra={"folders": sub, "files": n},
            ))
        return [p for p, _ in csvs]

    def _walk(self, folder: Path, prefix: str, csvs: list[tuple[Path, str]],
              depth: int = 0) -> None:
        for p in sorted(folder.iterdir(), key=lambda p: p.name):
            label = f"{prefix}{p.name}"
            if p.name.startswith((".", "~$")) or p.name == "__MACOSX":
                continue
            if p.is_dir():
                if p.is_symlink():
                    continue  # no loops, nothing outside the folder given
                if p.name == "outputs" or any((p / m).exists() for m in _OUTPUT_MARKERS):
                    self.findings.append(Finding(
                        WARNING, "folder_ignored",
                        f"Thư mục «{label}/» là kết quả do phần mềm tạo ra (báo cáo, bảng "
                        "tổng hợp), không phải số liệu, nên không được đọc. Nên để kết quả ở "
                        "ngoài thư mục số liệu.",
                        file=label,
                    ))
                    continue
                if depth + 1 > MAX_FOLDER_DEPTH:
                    self.findings.append(Finding(
                        WARNING, "folder_ignored",
                        f"Thư mục «{label}/» nằm sâu quá {MAX_FOLDER_DEPTH} cấp nên các tệp "
                        "trong đó không được đọc. Hãy chuyển các tệp .csv lên thư mục số liệu "
                        "hoặc một thư mục con trực tiếp của nó.",
                        file=label,
                    ))
                    continue
                self._walk(p, f"{label}/", csvs, depth + 1)
                continue
            if not p.is_file():
                continue
            if p.suffix.lower() == ".csv":
                csvs.append((p, label))
            elif p.suffix.lower() in ARCHIVE_SUFFIXES:
                self.findings.append(archive_finding(label, in_folder=True))
            elif p.suffix.lower() in (*WORKBOOK_SUFFIXES, *FORMAT_NAMES):
                self.findings.append(Finding(
                    WARNING, "file_ignored",
                    f"Tệp «{label}» không được đọc: trong một thư mục chỉ các tệp .csv được "
                    "đọc. Muốn dùng bảng tính, hãy chỉ đường dẫn tới chính tệp .xlsx.",
                    file=label,
                ))

    def read_file(self, path: Path, label: str | None = None) -> None:
        """Read one workbook or CSV; ``label`` is its name in findings (default its name)."""
        name = label or path.name
        try:
            suffix = path.suffix.lower()
            if suffix in WORKBOOK_SUFFIXES:
                self._read_workbook(path)
            elif suffix == ".csv":
                sheets = csv_sheets(path, self.findings, name)
                self._dispatch(sheets, csv_file=True)
            elif suffix in ARCHIVE_SUFFIXES:
                members = zip_members(path) if suffix == ".zip" else []
                self.findings.append(archive_finding(name, members))
            else:
                fmt = FORMAT_NAMES.get(suffix, f"«{suffix or 'không có đuôi'}»")
                self.findings.append(Finding(
                    ERROR, "unreadable_format",
                    f"Tệp «{name}» có định dạng {fmt} không đọc được; {SAVE_AS_XLSX}.",
                    file=name,
                ))
        except Exception as exc:  # noqa: BLE001 - user files must never crash the suite
            if debug():
                raise
            self.findings.append(unexpected(exc, name))

    def _read_workbook(self, path: Path) -> None:
        # openpyxl warns in English about features it drops (extensions, print settings…);
        # nothing of that matters for reading values, so the user is not shown it.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"openpyxl(\..*)?$")
            warnings.filterwarnings("ignore", category=UserWarning, message=r".*openpyxl.*")
            self._read_workbook_quietly(path)

    def _read_workbook_quietly(self, path: Path) -> None:
        name = path.name
        problem = check_workbook_file(path)
        if problem is not None:
            self.findings.append(problem)
            return
        fast = fast_sheets(path)
        if fast is not None:
            self._dispatch(fast)
            return
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # noqa: BLE001
            if debug():
                raise
            self.findings.append(Finding(
                ERROR, "corrupt_file",
                f"Tệp «{name}» bị hỏng hoặc không phải bảng tính Excel hợp lệ "
                f"({type(exc).__name__}); {SAVE_AS_XLSX}.",
                file=name,
            ))
            return
        try:
            sheets = [workbook_sheet(path, wb, ws) for ws in wb.worksheets]
            self._dispatch(sheets)
        finally:
            wb.close()

    # sheets -> tables ----------------------------------------------------------------------
    def _dispatch(self, sheets: list[Sheet], csv_file: bool = False) -> None:
        keys = table_keys()
        for sh in sheets:
            key = schema.match_key(sh.sheet)
            if key in _TEMPLATE_SHEET_KEYS:
                self._pasted_into_template_sheet(sh)
                continue
            table_name = keys.get(key)
            if table_name is None:
                non_empty = any(not is_blank_row(v) for _, v in sh.head)
                if not non_empty:
                    continue
                table_name = guess_table(sh.head)
                if table_name is None:
                    self.findings.append(unknown_sheet(sh, csv_file))
                    continue
                title = schema.table(table_name).title_vi
                self.findings.append(Finding(
                    WARNING, "sheet_matched_by_columns",
                    f"«{sh.sheet}» được đọc như bảng «{title}» vì có đủ các cột của bảng này; "
                    f"nên đặt tên là «{sheet_name(schema.table(table_name))}».",
                    file=sh.file, sheet=sh.sheet,
                ))
            if csv_file:
                sh.sheet = table_name  # a CSV's "sheet" is its table
            self.matched_any = True
            if sh.hidden:
                self.findings.append(Finding(
                    WARNING, "hidden_sheet",
                    f"Bảng «{sh.sheet}» đang bị ẩn nhưng vẫn được đọc như bảng "
                    f"«{schema.table(table_name).title_vi}». Nếu không muốn dùng số liệu "
                    "này, hãy xóa bảng khỏi tệp.",
                    file=sh.file, sheet=sh.sheet,
                ))
            emitter = self.emitters.setdefault(table_name, Emitter())
            try:
                frame = read_table(sh, schema.table(table_name), emitter)
            except Exception as exc:  # noqa: BLE001
                if debug():
                    raise
                self.findings.append(unexpected(exc, sh.file, sh.sheet))
                continue
            if frame is not None:
                self.parts.setdefault(table_name, []).append(frame)
                self.sources.setdefault(table_name, []).append(f"«{sh.sheet}» ({sh.file})")

    def _pasted_into_template_sheet(self, sh: Sheet) -> None:
        """Rows of a data table pasted into the instructions, lists or cover sheet: never
        read (the sheet is the template's own), so an error names where they are."""
        found = table_in_rows(sh.rows(), TEMPLATE_SHEET_SCAN_ROWS)
        if found is None:
            return
        table_name, header_row, n_rows = found
        target = sheet_name(schema.table(table_name))
        self.findings.append(Finding(
            ERROR, "data_in_template_sheet",
            f"Bảng «{sh.sheet}» là bảng của mẫu (không chứa số liệu) nên không được đọc, "
            f"nhưng từ dòng {header_row} có tiêu đề các cột của bảng «{target}» và "
            f"{int_vi(n_rows)} dòng số liệu bên dưới. Hãy chép các dòng này sang bảng "
            f"«{target}» (dưới dòng tiêu đề của bảng đó) rồi xóa khỏi bảng «{sh.sheet}».",
            file=sh.file, sheet=sh.sheet, row=header_row,
            extra={"table": table_name, "rows": n_rows},
        ))

    def no_tables(self, file: str, folder: bool = False) -> None:
        where = f"thư mục «{file}» (cần các tệp .csv)" if folder else f"tệp «{file}»"
        self.findings.append(Finding(
            ERROR, "no_tables",
            f"Không tìm thấy bảng số liệu nào trong {where}. Tên bảng cần là một trong: "
            f"{table_list()}. Có thể tạo mẫu bằng lệnh: python -m analysis template mau.xlsx",
            file=file,
        ))

    def assemble(self) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for name, table in schema.tables().items():
            frames = [f for f in self.parts.get(name, []) if len(f)] or self.parts.get(name, [])
            if not frames:
                out[name] = empty_frame(name)
                continue
            frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
            emitter = self.emitters.setdefault(name, Emitter())
            srcs = self.sources.get(name, [])
            if len(srcs) > 1:
                self.findings.append(Finding(
                    WARNING, "table_multiple_sheets",
                    f"Bảng «{table.title_vi}» được ghép từ {len(srcs)} nơi: {', '.join(srcs)}. "
                    "Hãy kiểm tra không có số liệu bị nhập hai lần.",
                    file=frame["_file"].iat[0], sheet=frame["_sheet"].iat[0],
                ))
            try:
                check_duplicate_keys(frame, table, emitter)
            except Exception as exc:  # noqa: BLE001
                if debug():
                    raise
                self.findings.append(unexpected(exc, frame["_file"].iat[0], table.title_vi))
            out[name] = frame.reset_index(drop=True)
        for name in schema.tables():
            if name in self.emitters:
                self.findings.extend(self.emitters[name].finish())
        return out


# --- matching sheets and headers --------------------------------------------------------------
_TEMPLATE_SHEET_KEYS = frozenset(schema.match_key(s) for s in (
    INSTRUCTIONS_SHEET, LISTS_SHEET, COVER_SHEET, PREFILLED_SHEET))


#: Sub-folders of a CSV folder read (``2015/`` … is depth 1); deeper ones are named, not read.
MAX_FOLDER_DEPTH = 2
#: A sub-folder holding one of these was written by the suite (``analysis.run.build``, a
#: report): its tables are results, never read as data.
_OUTPUT_MARKERS = (".build-manifest.json", ".manifest.json")
#: Rows of a template sheet (instructions, lists, cover) looked through for pasted data.
TEMPLATE_SHEET_SCAN_ROWS = 5000


# --- fingerprint ------------------------------------------------------------------------------
def content_fingerprint(files: list[Path], folder: bool, names: list[str] | None = None) -> str:
    """Content hash of the files read (in a folder: with their names, sub-folder included)."""
    h = hashlib.sha256()
    names = [p.name for p in files] if names is None else names
    for name, p in sorted(zip(names, files, strict=True), key=lambda np_: np_[0]):
        if folder:
            h.update(name.encode("utf-8") + b"\0")
        try:
            with open(p, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        except OSError:
            continue
        if folder:
            h.update(b"\0")
    return h.hexdigest()[:12]
