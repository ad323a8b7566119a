"""Import FFIEC call-report bulk files into the Banks table.

Layout (DESIGN §5): ``pk=BANK#{idrssd}`` with ``sk=PROFILE`` (name, city, state, fdicCert,
filingType, synthetic, latestQuarter, …) and ``sk=Q#{yyyymmdd}`` (one quarter's figures,
quarterly not year-to-date, thousands of dollars). Bookkeeping items: ``pk=INDEX`` (see
:mod:`chalicelib.banks.index`) and ``pk=IMPORT sk=Q#{yyyymmdd}`` (which banks a quarter's
last import wrote, and whether it finished).

Guarantees:

* Every quarter is parsed and validated before anything is written; a malformed file stops
  the import with a sentence naming file and line.
* Items are whole-item puts, so importing the same files again leaves the table the same,
  and importing a newer file for a quarter replaces it (banks no longer in it are removed).
* A quarter is marked ``writing`` before and ``complete`` after its items; a failure in
  between raises :class:`ImportIncomplete` naming the quarter and how to re-run.
* Synthetic banks (names ending "(SYNTHETIC)") are refused under a real bank's id, and real
  figures for an id that held synthetic ones first remove the synthetic quarters.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.banks import ffiec, mdrm, metrics
from chalicelib.banks.errors import ImportIncomplete, SyntheticUnderRealId
from chalicelib.banks.index import PROFILE_SK, BankIndex, bank_pk, quarter_sk, query_all
from chalicelib.banks.reference import (
    REFERENCE_FILE,
    ReferenceBank,
    read_reference_banks,
    reference_ids,
)

IMPORT_PK = "IMPORT"
SYNTHETIC_SUFFIX = "(SYNTHETIC)"
_BATCH_GET = 100

Progress = Callable[[int, int, str], None]


def is_synthetic(name: str) -> bool:
    return name.rstrip().upper().endswith(SYNTHETIC_SUFFIX)


@dataclass
class ImportSummary:
    """What an import did."""

    source: str
    quarters: list[str] = field(default_factory=list)
    banks: int = 0
    items_written: int = 0
    items_deleted: int = 0
    rows_read: int = 0
    skipped: list[ffiec.Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def skipped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for skip in self.skipped:
            counts[skip.reason] = counts.get(skip.reason, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "quarters": self.quarters,
            "banks": self.banks,
            "itemsWritten": self.items_written,
            "itemsDeleted": self.items_deleted,
            "rowsRead": self.rows_read,
            "skipped": self.skipped_by_reason(),
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }

    def sentence(self) -> str:
        span = f"{self.quarters[0]}..{self.quarters[-1]}" if self.quarters else "no quarters"
        text = (
            f"Imported {self.banks} banks over {len(self.quarters)} quarters ({span}) from "
            f"{self.source}: {self.items_written} items written, {self.items_deleted} removed, "
            f"{self.rows_read} rows read in {self.seconds:.1f} s."
        )
        for reason, count in sorted(self.skipped_by_reason().items()):
            text += f" Skipped {count} row(s): {reason}."
        for note in self.notes:
            text += f" Note: {note}."
        return text


def _dynamo(value: Any) -> Any:
    """Numbers as DynamoDB wants them (int or Decimal, never float)."""
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _dynamo(value) for key, value in values.items() if value is not None}


class BankImporter:
    """Writes parsed call reports (and the reference list) into the Banks table."""

    def __init__(
        self,
        table: Any,
        *,
        real_ids: Iterable[str] | None = None,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._table = table
        self._index = BankIndex(table)
        self._real_ids = frozenset(real_ids) if real_ids is not None else reference_ids()
        self._progress = progress or (lambda done, total, label: None)
        self._clock = clock

    # -- call reports ----------------------------------------------------------------

    def import_path(self, path: str | Path) -> ImportSummary:
        """Import every quarter under ``path`` (zip, folder, or folder of zips)."""
        started = self._clock()
        origin = str(path)
        reports = ffiec.open_call_reports(path)
        entries = self._index.load()
        real = self._real_ids | {
            key for key, entry in entries.items() if entry.get("data") and not entry["synthetic"]
        }
        # Pass 1: parse and check every quarter; nothing is written if any file is bad.
        sizes: dict[str, int] = {}
        purge: set[str] = set()
        for report in reports:
            sizes[report.quarter] = len(report.banks)
            for bank in report.banks.values():
                synthetic = is_synthetic(bank.panel.name)
                if synthetic and bank.idrssd in real:
                    raise SyntheticUnderRealId(report.files[0], bank.idrssd, bank.panel.name)
                known = entries.get(bank.idrssd)
                if not synthetic and known and known.get("data") and known["synthetic"]:
                    purge.add(bank.idrssd)
        summary = ImportSummary(origin)
        total = sum(sizes.values())
        done = 0
        summary.items_deleted += self._purge(purge)

        # Pass 2: write quarter by quarter, oldest first, one quarter in memory at a time.
        window: dict[str, dict[str, dict[str, Any]]] = {}
        ytd_before: dict[str, dict[str, Any]] = {}
        latest: dict[str, tuple[ffiec.BankQuarter, dict[str, Any], dict[str, Any]]] = {}
        missing_income = 0
        for quarter in sizes:
            report = reports.read(quarter)
            summary.rows_read += report.rows
            summary.skipped.extend(report.skipped)
            previous = ffiec.previous_quarter(quarter)
            ids = list(report.banks)
            if quarter.endswith("0331"):
                ytd_before = {}
            elif previous not in window:
                ytd_before = {
                    key: item.get("ytd", {}) for key, item in self._stored(previous, ids).items()
                }
            figures_now: dict[str, dict[str, Any]] = {}
            ytd_now: dict[str, dict[str, Any]] = {}
            items: list[dict[str, Any]] = []
            for idrssd, bank in report.banks.items():
                ytd = {name: bank.values.get(name) for name in mdrm.FLOW_FIELDS}
                flows, note = ffiec.quarterly_flows(quarter, ytd, ytd_before.get(idrssd))
                if note:
                    missing_income += 1
                figures = {name: bank.values.get(name) for name in mdrm.STOCK_FIELDS}
                figures.update(flows)
                figures["totalDeposits"] = mdrm.total_deposits(bank.values)
                figures_now[idrssd] = figures
                ytd_now[idrssd] = ytd
                items.append(self._quarter_item(bank, figures, ytd, note, report.files))
            done = self._write_quarter(quarter, items, origin, summary, done, total)
            window[quarter] = figures_now
            ytd_before = ytd_now
            context_previous = window.get(previous) or self._stored_figures(previous, ids)
            year_ago = ffiec.year_ago(quarter)
            context_year = window.get(year_ago) or self._stored_figures(year_ago, ids)
            for idrssd, bank in report.banks.items():
                figures = figures_now[idrssd]
                values = metrics.quarter_metrics(
                    figures, context_previous.get(idrssd), context_year.get(idrssd)
                )
                latest[idrssd] = (bank, figures, values)
            for old in [key for key in window if key < year_ago]:
                del window[old]
            summary.quarters.append(quarter)
        if missing_income:
            summary.notes.append(
                f"{missing_income} bank-quarter(s) have no quarterly income because the "
                "previous quarter of the same year was not imported; import it too"
            )
        summary.items_written += self._write_profiles(latest, entries, origin, summary)
        summary.banks = len(latest)
        summary.seconds = self._clock() - started
        return summary

    def _quarter_item(
        self,
        bank: ffiec.BankQuarter,
        figures: dict[str, Any],
        ytd: dict[str, Any],
        note: str | None,
        files: Sequence[str],
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": bank_pk(bank.idrssd),
            "sk": quarter_sk(bank.quarter),
            "idrssd": bank.idrssd,
            "quarter": bank.quarter,
            "filingType": bank.panel.filing_type,
            "synthetic": is_synthetic(bank.panel.name),
            "figures": _compact(figures),
            "ytd": _compact(ytd),
            "sourceFiles": [Path(label.split(":")[-1]).name for label in files],
        }
        if bank.confidential:
            item["confidential"] = list(bank.confidential)
        if note:
            item["note"] = note
        return item

    def _write_quarter(
        self,
        quarter: str,
        items: list[dict[str, Any]],
        origin: str,
        summary: ImportSummary,
        done: int,
        total: int,
    ) -> int:
        marker = {"pk": IMPORT_PK, "sk": quarter_sk(quarter)}
        new_ids = sorted((item["idrssd"] for item in items), key=int)
        written = 0
        try:
            previous = self._table.get_item(Key=marker).get("Item")
            old_ids = set(json.loads(previous["ids"])) if previous else set()
            self._table.put_item(
                Item={**marker, "status": "writing", "source": origin, "ids": json.dumps(new_ids)}
            )
            with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
                for item in items:
                    batch.put_item(Item=item)
                    written += 1
                    if written % 250 == 0 or written == len(items):
                        self._progress(done + written, total, quarter)
                stale = sorted(old_ids - set(new_ids), key=int)
                for idrssd in stale:
                    batch.delete_item(Key={"pk": bank_pk(idrssd), "sk": quarter_sk(quarter)})
            self._table.put_item(
                Item={**marker, "status": "complete", "source": origin, "ids": json.dumps(new_ids)}
            )
        except Exception as error:
            raise ImportIncomplete(
                quarter, written, len(items), origin, _describe(error)
            ) from error
        summary.items_written += len(items)
        summary.items_deleted += len(stale)
        return done + len(items)

    def _write_profiles(
        self,
        latest: dict[str, tuple[ffiec.BankQuarter, dict[str, Any], dict[str, Any]]],
        entries: dict[str, dict[str, Any]],
        origin: str,
        summary: ImportSummary,
    ) -> int:
        written = 0
        try:
            with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
                for idrssd, (bank, figures, values) in latest.items():
                    known = entries.get(idrssd)
                    if known and known.get("data") and (known.get("q") or "") > bank.quarter:
                        continue  # a newer quarter was imported before; its profile stays
                    profile = self._profile_item(bank, figures, values)
                    batch.put_item(Item=profile)
                    written += 1
                    entries[idrssd] = {
                        "id": idrssd,
                        "name": bank.panel.name,
                        "city": bank.panel.city,
                        "state": bank.panel.state,
                        "synthetic": profile["synthetic"],
                        "data": True,
                        "q": bank.quarter,
                        "assets": figures.get("totalAssets"),
                        # Only the peer metrics: they keep an index shard well under 400 KB.
                        "m": {
                            key: values[key]
                            for key in metrics.PEER_METRICS
                            if values.get(key) is not None
                        },
                    }
            self._index.write(entries)
        except Exception as error:
            last = summary.quarters[-1] if summary.quarters else "?"
            raise ImportIncomplete(last, written, len(latest), origin, _describe(error)) from error
        return written

    def _profile_item(
        self, bank: ffiec.BankQuarter, figures: dict[str, Any], values: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "pk": bank_pk(bank.idrssd),
            "sk": PROFILE_SK,
            "idrssd": bank.idrssd,
            "name": bank.panel.name,
            "city": bank.panel.city,
            "state": bank.panel.state,
            "fdicCert": bank.panel.fdic_cert,
            "filingType": bank.panel.filing_type,
            "synthetic": is_synthetic(bank.panel.name),
            "data": "loaded",
            "latestQuarter": bank.quarter,
            "totalAssets": figures.get("totalAssets"),
            "latestMetrics": _compact(values),
        }

    def _stored(self, quarter: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored Q items of ``quarter`` for these banks (BatchGetItem, 100 keys a call)."""
        found: dict[str, dict[str, Any]] = {}
        client = self._table.meta.client
        for start in range(0, len(ids), _BATCH_GET):
            keys = [{"pk": bank_pk(i), "sk": quarter_sk(quarter)} for i in ids[start : start + 100]]
            request: dict[str, Any] = {self._table.name: {"Keys": keys}}
            while request:
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table.name, []):
                    found[item["idrssd"]] = item
                request = response.get("UnprocessedKeys") or {}
        return found

    def _stored_figures(self, quarter: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {key: item.get("figures", {}) for key, item in self._stored(quarter, ids).items()}

    def _purge(self, ids: Iterable[str]) -> int:
        """Remove the synthetic quarters of ids about to receive real figures."""
        deleted = 0
        for idrssd in sorted(ids, key=int):
            items = query_all(
                self._table,
                KeyConditionExpression=Key("pk").eq(bank_pk(idrssd)) & Key("sk").begins_with("Q#"),
                ProjectionExpression="pk, sk",
            )
            with self._table.batch_writer() as batch:
                for item in items:
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                    deleted += 1
        return deleted

    # -- reference banks -------------------------------------------------------------

    def load_reference_banks(
        self, banks: Sequence[ReferenceBank] | None = None, path: Path | str = REFERENCE_FILE
    ) -> int:
        """Write PROFILE items for real banks known by id only (``data: none``).

        A bank that already has imported figures keeps its profile. Returns how many
        profiles were written.
        """
        banks = list(banks) if banks is not None else read_reference_banks(path)
        entries = self._index.load()
        written = 0
        with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for bank in banks:
                known = entries.get(bank.idrssd)
                if known and known.get("data"):
                    continue
                batch.put_item(
                    Item={
                        "pk": bank_pk(bank.idrssd),
                        "sk": PROFILE_SK,
                        "idrssd": bank.idrssd,
                        "name": bank.name,
                        "city": bank.city,
                        "state": bank.state,
                        "synthetic": False,
                        "data": "none",
                        "reference": True,
                    }
                )
                written += 1
                entries[bank.idrssd] = {
                    "id": bank.idrssd,
                    "name": bank.name,
                    "city": bank.city,
                    "state": bank.state,
                    "synthetic": False,
                    "data": False,
                    "q": None,
                    "assets": None,
                    "m": {},
                }
        self._index.write(entries)
        return written


def _describe(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        detail = response["Error"]
        return f"{detail.get('Code', 'error')} ({detail.get('Message', '')})".strip()
    return str(error) or type(error).__name__
