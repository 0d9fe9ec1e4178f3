"""Leadership dashboard: metric tables in, self-contained HTML, manager pages and CSV out."""

from __future__ import annotations

from reports.files import check_out_dir
from reports.meta import ReportFiles, ReportMeta
from reports.render import render_reports

__all__ = ["ReportFiles", "ReportMeta", "check_out_dir", "render_reports"]
