"""Text for people: bank lists, a report as Markdown or a standalone HTML page, a transcript."""

from __future__ import annotations

import html
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


def bank_table(banks: list[dict[str, Any]]) -> str:
    """Aligned columns: RSSD ID, name, place, data quarter (or none), total assets."""
    rows = [("RSSD ID", "Name", "City, state", "Data", "Total assets")]
    for bank in banks:
        place = ", ".join(part for part in (bank.get("city"), bank.get("state")) if part)
        data = quarter(bank.get("latestQuarter")) if bank.get("hasData") else "none loaded"
        assets = money(bank.get("totalAssets")) if bank.get("hasData") else ""
        rows.append((str(bank.get("idrssd", "")), str(bank.get("name", "")), place, data, assets))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


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
    minutes, seconds = divmod(round(float(podcast.get("durationSeconds") or 0)), 60)
    as_of = quarter(podcast.get("asOf"))
    lines = [f"{bank} — podcast ({minutes}:{seconds:02d}, data as of {as_of})", ""]
    for line in podcast.get("script") or []:
        lines += [f"{line.get('name', line.get('speaker', ''))}: {line.get('text', '')}", ""]
    return "\n".join(lines)
