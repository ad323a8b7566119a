"""Text for people: bank lists, a report as Markdown or a standalone HTML page, a transcript."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any


def money(thousands: Any) -> str:
    """Call-report figures are in thousands of dollars: 9855651 → ``$9.86 bn``."""
    if not isinstance(thousands, int | float):
        return "—"
    dollars = float(thousands) * 1000
    for scale, unit in ((1e12, "tn"), (1e9, "bn"), (1e6, "m")):
        if abs(dollars) >= scale:
            return f"${dollars / scale:.2f} {unit}"
    return f"${dollars:,.0f}"


def quarter(yyyymmdd: Any) -> str:
    """``20241231`` → ``2024-12-31``."""
    text = str(yyyymmdd or "")
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else text


def table(rows: Sequence[tuple[str, ...]]) -> str:
    """Rows (the first is the header) in aligned columns."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def bank_table(banks: list[dict[str, Any]]) -> str:
    """Aligned columns: RSSD ID, name, place, data quarter (or none), total assets."""
    rows = [("RSSD ID", "Name", "City, state", "Data", "Total assets")]
    for bank in banks:
        place = ", ".join(part for part in (bank.get("city"), bank.get("state")) if part)
        data = quarter(bank.get("latestQuarter")) if bank.get("hasData") else "none loaded"
        assets = money(bank.get("totalAssets")) if bank.get("hasData") else ""
        rows.append((str(bank.get("idrssd", "")), str(bank.get("name", "")), place, data, assets))
    return table(rows)


def written(iso: Any) -> str:
    """``2026-12-01T07:07:53.319Z`` → ``2026-12-01 07:07 UTC``."""
    text = str(iso or "")
    return f"{text[:10]} {text[11:16]} UTC" if len(text) >= 16 and text[10] == "T" else text


def size(count: Any) -> str:
    if not isinstance(count, int | float):
        return ""
    for scale, unit in ((1024 * 1024, "MB"), (1024, "KB")):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{int(count)} bytes"


def length(seconds: Any) -> str:
    """``264.4`` → ``4:24``."""
    minutes, rest = divmod(round(float(seconds or 0)), 60)
    return f"{minutes}:{rest:02d}"


def report_versions(entries: list[dict[str, Any]]) -> str:
    """The research library's reports: job id, when written, data quarter, writer, size."""
    rows = [("Job ID", "Written", "Data", "Writer", "Size")]
    for entry in entries:
        writer = str(entry.get("writer") or "")
        if entry.get("model"):
            writer += f" ({entry['model']})"
        rows.append(
            (
                str(entry.get("jobId", "")),
                written(entry.get("generatedAt")),
                quarter(entry.get("asOf")),
                writer,
                size(entry.get("bytes")),
            )
        )
    return table(rows)


def podcast_versions(entries: list[dict[str, Any]]) -> str:
    """The research library's podcasts: job id, when made, data quarter, experts, length."""
    rows = [("Job ID", "Made", "Data", "Experts", "Length", "Size")]
    for entry in entries:
        experts = ", ".join(str(expert) for expert in entry.get("experts") or [])
        rows.append(
            (
                str(entry.get("jobId", "")),
                written(entry.get("generatedAt")),
                quarter(entry.get("asOf")),
                experts,
                length(entry.get("durationSeconds")),
                size(entry.get("bytes")),
            )
        )
    return table(rows)


def _byline(report: dict[str, Any]) -> str:
    bank = report.get("bank") or {}
    place = ", ".join(part for part in (bank.get("city"), bank.get("state")) if part)
    writer = str(report.get("writer") or "unknown")
    if report.get("model"):
        writer += f" ({report['model']})"
    parts = [
        place,
        f"RSSD ID {report.get('idrssd', '')}",
        f"data as of {quarter(report.get('asOf'))}",
        f"written {str(report.get('generatedAt') or '')[:10]} by the {writer} writer",
    ]
    return " · ".join(part for part in parts if part)


def _title(report: dict[str, Any]) -> str:
    name = (report.get("bank") or {}).get("name") or f"Bank {report.get('idrssd', '')}"
    return f"{name} — research report"


SYNTHETIC_NOTE = "Synthetic sample data: these figures describe no real bank."


def report_markdown(report: dict[str, Any]) -> str:
    lines = [f"# {_title(report)}", "", _byline(report), ""]
    if report.get("synthetic"):
        lines += [f"> {SYNTHETIC_NOTE}", ""]
    for section in report.get("sections") or []:
        lines += [
            f"## {section.get('title', '')}",
            "",
            str(section.get("markdown", "")).strip(),
            "",
        ]
    notes = [str(note) for note in report.get("notes") or []]
    if notes:
        lines += ["## Notes", "", *(f"- {note}" for note in notes), ""]
    return "\n".join(lines)


def report_html(report: dict[str, Any]) -> str:
    """A page that opens on its own; the sections' HTML comes sanitized from the API."""
    title = html.escape(_title(report))
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}</style></head>",
        "<body>",
        f"<h1>{title}</h1>",
        f"<p>{html.escape(_byline(report))}</p>",
    ]
    if report.get("synthetic"):
        parts.append(f"<p><strong>{html.escape(SYNTHETIC_NOTE)}</strong></p>")
    for section in report.get("sections") or []:
        parts.append(f'<section id="{html.escape(str(section.get("id", "")), quote=True)}">')
        parts.append(f"<h2>{html.escape(str(section.get('title', '')))}</h2>")
        parts.append(str(section.get("html", "")))
        parts.append("</section>")
    notes = [html.escape(str(note)) for note in report.get("notes") or []]
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def transcript(podcast: dict[str, Any]) -> str:
    """The podcast's script, one speaker's turn a paragraph."""
    bank = (podcast.get("bank") or {}).get("name") or f"Bank {podcast.get('idrssd', '')}"
    as_of = quarter(podcast.get("asOf"))
    lines = [f"{bank} — podcast ({length(podcast.get('durationSeconds'))}, data as of {as_of})", ""]
    for line in podcast.get("script") or []:
        lines += [f"{line.get('name', line.get('speaker', ''))}: {line.get('text', '')}", ""]
    return "\n".join(lines)
