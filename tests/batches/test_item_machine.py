"""A Hypothesis state machine over a batch's items and counters, on moto, with injected
faults: every interleaving of deliveries (redelivered too), outcomes, cancels, retries and
abandoned deliveries, each write possibly met by a conflict on its counter or applied with
its answer lost, keeps the counters equal to the items (so a batch's counts are exact and
a redelivery counts once) and each item where ``model``'s rules put it.

``make test`` runs a bounded number of examples; ``make soak`` many more.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import ClassVar

import boto3
import pytest
from botocore.config import Config
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from chalicelib.batches import store
from chalicelib.batches.model import (
    SHARDS,
    Batch,
    BatchStatus,
    Item,
    ItemState,
    counted,
    shard_of,
)
from chalicelib.batches.store import BatchStore
from chalicelib.job_types import JobType
from tests.conftest import REGION
from tests.fakes import FakeClock
from tests.faults import FaultInjector
from tests.moto_account import Aws

CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4})  # as the runtime's
BANKS = [str(480_000 + n) for n in range(6)]
OUTCOMES = (ItemState.COMPLETED, ItemState.FAILED, ItemState.SKIPPED)
ENDED = frozenset(OUTCOMES) | {ItemState.CANCELLED}
_batches = itertools.count(1)
faults = st.sampled_from(["none", "conflict", "lost"])


class ItemMachine(RuleBasedStateMachine):
    aws: ClassVar[Aws]

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        table = boto3.resource("dynamodb", region_name=REGION, config=CLIENT_CONFIG).Table(
            self.aws.names.jobs_table
        )
        self.faults = FaultInjector().attach(table.meta.client)
        self.store = BatchStore(table, self.clock, sleep=lambda _: None)
        self.checker = BatchStore(
            boto3.resource("dynamodb", region_name=REGION).Table(self.aws.names.jobs_table),
            self.clock,
        )
        self.expected = dict.fromkeys(BANKS, ItemState.QUEUED)

    @initialize()
    def create(self) -> None:
        self.batch_id = f"machine-{next(_batches)}"
        now = self.clock.now()
        batch = Batch(self.batch_id, JobType.REPORT, "20250630", BatchStatus.RUNNING,
                      len(BANKS), "tester", now, now)  # fmt: skip
        self.store.create(batch, BANKS)

    def _inject(self, fault: str) -> None:
        self.faults.clear()
        if fault == "conflict":
            self.faults.conflict()
        elif fault == "lost":
            self.faults.lose_response("TransactWriteItems")

    def _expect_move(
        self, bank: str, moved: bool, fault: str, source: ItemState, target: ItemState
    ) -> None:
        """A move from ``source`` happens (its answer may be lost: the retry meets the item
        moved and says not moved); from any other state it is refused."""
        if self.expected[bank] is source:
            assert moved or fault == "lost"
            self.expected[bank] = target
        else:
            assert not moved

    @rule(bank=st.sampled_from(BANKS), fault=faults)
    def deliver(self, bank: str, fault: str) -> None:
        """A delivery begins the item: once from queued, again while running (a lost run)."""
        self._inject(fault)
        begun = self.store.begin(self.batch_id, bank)
        was = self.expected[bank]
        if was in (ItemState.QUEUED, ItemState.RUNNING):
            assert begun is not None and begun.state is ItemState.RUNNING, (bank, was, fault)
            self.expected[bank] = ItemState.RUNNING
        else:
            assert begun is None, f"an ended item ({was}) began again"

    @rule(bank=st.sampled_from(BANKS), outcome=st.sampled_from(OUTCOMES), fault=faults)
    def finish(self, bank: str, outcome: ItemState, fault: str) -> None:
        self._inject(fault)
        moved = self.store.finish(self.batch_id, Item(bank, outcome, message="why"))
        self._expect_move(bank, moved, fault, ItemState.RUNNING, outcome)

    @rule(bank=st.sampled_from(BANKS), fault=faults)
    def cancel(self, bank: str, fault: str) -> None:
        self._inject(fault)
        moved = self.store.cancel(self.batch_id, bank)
        self._expect_move(bank, moved, fault, ItemState.QUEUED, ItemState.CANCELLED)

    @rule(bank=st.sampled_from(BANKS), fault=faults)
    def requeue(self, bank: str, fault: str) -> None:
        self._inject(fault)
        moved = self.store.requeue(self.batch_id, bank)
        self._expect_move(bank, moved, fault, ItemState.FAILED, ItemState.QUEUED)

    @rule(bank=st.sampled_from(BANKS), fault=faults)
    def abandon(self, bank: str, fault: str) -> None:
        """The last delivery could not be worked: the item fails, begun or not."""
        self._inject(fault)
        self.store.abandon(self.batch_id, Item(bank, ItemState.FAILED, error_code="x"))
        if self.expected[bank] in (ItemState.QUEUED, ItemState.RUNNING):
            self.expected[bank] = ItemState.FAILED

    @invariant()
    def counters_are_the_items(self) -> None:
        items = self.checker.items(self.batch_id)
        assert {i.idrssd: i.state for i in items} == self.expected
        counts, last_end = self.checker.counts(self.batch_id)
        assert counts == counted(items), "a counter drifted from its items"
        assert sum(counts.values()) == len(BANKS)
        if any(state in ENDED for state in self.expected.values()):
            assert last_end is not None, "an item ended and its counter kept no time"


@pytest.fixture
def machine(aws: Aws) -> Iterator[type[ItemMachine]]:
    ItemMachine.aws = aws
    yield ItemMachine


def test_the_counters_stay_the_items_under_every_interleaving(
    machine: type[ItemMachine],
) -> None:
    # The current profile ("ci" in make test, "soak" in make soak: tests/conftest.py), at a
    # quarter of its examples: an item has six states, a job many more.
    current = settings()
    run_state_machine_as_test(
        machine, settings=settings(current, max_examples=max(current.max_examples // 4, 10))
    )


def test_the_machine_finds_a_redelivery_counted_twice(
    machine: type[ItemMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shown once: with the first start's condition admitting a running item too (one
    condition for both begins, as before the counters), a redelivery moves the count from
    queued to running a second time, and the machine catches the drift."""
    monkeypatch.setattr(store, "BEGIN", "#state IN (:queued, :running)")
    broken = settings(
        settings(), max_examples=200, phases=[Phase.generate], derandomize=True, database=None
    )
    with pytest.raises(AssertionError, match="drifted"):
        run_state_machine_as_test(machine, settings=broken)


def test_the_banks_of_the_machine_land_on_several_counters() -> None:
    assert len({shard_of(bank) for bank in BANKS}) >= 3
    assert all(0 <= shard_of(bank) < SHARDS for bank in BANKS)
