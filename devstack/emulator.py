"""The embedded AWS emulator: moto's server on loopback, with DynamoDB's per-item atomicity
(and Cognito's ``RevokeToken``, which moto lacks).

Real DynamoDB evaluates a condition expression and applies the write as one atomic step.
moto's in-memory backend does not lock, so two threads can both pass a condition before
either writes. The single-flight invariant depends on that atomicity, so the emulator (and
the in-process tests) serialize moto's item writes with one lock.

For the fault tests the emulator can also **stall**: requests of a service (or of one
operation) wait before they are answered, as a datastore does when it is overloaded or
frozen, so that clients meet their read timeouts as they would in AWS.
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_WRITE_METHODS = ("put_item", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()
_patched = False


def write_lock() -> threading.RLock:
    """The lock every emulated DynamoDB write holds (for writing to the backend directly)."""
    return _lock


def make_dynamodb_writes_atomic() -> None:
    """Patch moto's DynamoDB backend so each conditional write is atomic, as in AWS."""
    global _patched
    if _patched:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITE_METHODS:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def atomic(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, atomic)
    _patched = True


_WIRE_SCALARS = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})
_fast_items = False


def _as_stored(value: Any) -> bool:
    """Whether an item's attribute value is already DynamoDB's JSON as it goes on the wire
    (no binary, which the serializer would have to encode)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in _WIRE_SCALARS:
        return True
    if kind == "M":
        return isinstance(inner, dict) and all(map(_as_stored, inner.values()))
    if kind == "L":
        return isinstance(inner, list) and all(map(_as_stored, inner))
    return False


def answer_items_as_stored() -> None:
    """Let moto answer DynamoDB items in the JSON it holds them in.

    moto keeps an item's attributes in DynamoDB's own JSON (``{"S": …}``), and its generic
    response serializer then walks every attribute value through the ``AttributeValue``
    shape to write that same JSON again: most of the emulator's time for a read of many
    items (a profile, a batch of ``RECENT`` items). An attribute value already in wire
    form is written as it is; anything else (binary) still goes through the serializer.
    """
    global _fast_items
    if _fast_items:
        return
    from moto.core.serialize import ResponseSerializer

    serialize = ResponseSerializer._serialize

    def serialize_fast(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue" and _as_stored(value):
            self._default_serialize(serialized, value, shape, key)
            return
        serialize(self, serialized, value, shape, key)

    ResponseSerializer._serialize = serialize_fast  # type: ignore[method-assign]
    _fast_items = True


_partition = threading.local()
_partitioned = False


def query_one_partition() -> None:
    """Let a ``Query`` of a table (not of an index) read its one partition, as DynamoDB does.

    moto answers it by listing and sorting every item of the table and keeping those of
    the partition: its cost grew with the table (4 / 21 / 93 ms at 1k / 5k / 20k items),
    so an import into a filled table, or a bank's history, got slower as data accumulated.
    Here the listing is the partition's items alone, in key order; what moto does with them
    (conditions, pages, projections) is unchanged.
    """
    global _partitioned
    if _partitioned:
        return
    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items

    def query_partition(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index = kwargs.get("index_name") or (args[6] if len(args) > 6 else None)
        if index or hash_key is None or not self.range_key_attr:
            return query(self, hash_key, *args, **kwargs)
        _partition.key = (id(self), hash_key)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _partition.key = None

    def items_of_partition(self: Any) -> Any:
        key = getattr(_partition, "key", None)
        if key is None or key[0] != id(self):
            return all_items(self)
        held = self.items.get(key[1]) or {}
        return sorted(held.values(), key=lambda item: item.range_key)

    Table.query = query_partition  # type: ignore[method-assign]
    Table.all_items = items_of_partition  # type: ignore[method-assign]
    _partitioned = True


_undo = threading.local()
_undo_per_item = False


def transactions_undo_their_items() -> None:
    """Let ``TransactWriteItems`` keep, for undoing, the items it writes instead of whole tables.

    moto deep-copies every table a transaction names before applying it, to put the copy
    back if an operation fails: a job's completion (three operations) cost 89 / 240 /
    1 079 ms at 100 / 800 / 3 200 stored jobs, under the write lock every write waits on.
    Here moto's copy of a table is the table itself, so its rollback changes nothing, and
    the items the transaction names are saved first and put back if it raises; what it
    checks, writes and answers is moto's own.
    """
    global _undo_per_item
    if _undo_per_item:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    real_copy = models.copy

    class _TablesKept:  # moto's module calls ``copy.deepcopy``; only its table copy changes
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            if isinstance(value, Table) and getattr(_undo, "on", False):
                return value
            return real_copy.deepcopy(value, memo)

    models.copy = _TablesKept  # type: ignore[assignment]
    transact = DynamoDBBackend.transact_write_items

    @functools.wraps(transact)
    def transact_undoing_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with _lock:  # the items saved are the ones the transaction meets
            saved = _items_named(self, transact_items)
            _undo.on = True
            try:
                return transact(self, transact_items)
            except Exception:
                _put_back(saved)
                raise
            finally:
                _undo.on = False

    DynamoDBBackend.transact_write_items = transact_undoing_items  # type: ignore[method-assign]
    _undo_per_item = True


def _items_named(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(table, hash key, range key, a copy of the item or None) for each operation's item."""
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType

    saved: list[tuple[Any, ...]] = []
    for entry in transact_items:
        op = next(iter(entry.values()), None)
        if not isinstance(op, dict) or (table := backend.tables.get(op.get("TableName"))) is None:
            continue
        key = op.get("Key") or op.get("Item") or {}
        try:
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, TypeError):
            continue  # moto refuses the operation before it writes anything
        held = table.get_item(hash_key, range_key)
        saved.append((table, hash_key, range_key, copy.deepcopy(held)))
    return saved


def _put_back(saved: list[tuple[Any, ...]]) -> None:
    # In reverse, so that an item named twice ends as it was before the first operation.
    for table, hash_key, range_key, item in reversed(saved):
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        elif item is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item


class _WeakInstances:
    """moto's per-model list of instances, holding them weakly (by identity: many of moto's
    models define ``__eq__`` and so are not hashable)."""

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._held: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        self._held[id(instance)] = instance

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._held.values()))

    def __len__(self) -> int:
        return len(self._held)


def models_tracked_weakly() -> None:
    """Let moto's record of every model instance it ever made stop keeping them alive.

    moto appends each instance of each model (``BaseModel.__new__``) to a list on its class,
    for its dashboard and to close S3 bodies on a reset, and never takes one out. Every
    DynamoDB write deep-copies the item it changes (twice for an update, once more for a
    transaction's undo) and every query its results, so each copy of each item stayed in
    memory: the emulator grew about 130 KB per report job (its resident memory over a batch
    of 500; tracemalloc over 120 found most of it copies of job and batch items), now about
    35 KB. Here the record holds them weakly: what moto
    still holds (its tables, buckets, queues) is listed as before, and a copy is freed
    when its request ends. A reset's fresh lists become weak at their next instance.
    """
    from moto.core.common_models import BaseModel

    if getattr(BaseModel, "_tracked_weakly", False):
        return

    def new_tracked_weakly(cls: type, *args: Any, **kwargs: Any) -> Any:
        instance: Any = object.__new__(cls)
        tracked = cls.__dict__.get("instances_tracked")
        if not isinstance(tracked, _WeakInstances):
            tracked = _WeakInstances(tracked or ())
            cls.instances_tracked = tracked  # type: ignore[attr-defined]
        tracked.append(instance)
        return instance

    BaseModel.__new__ = new_tracked_weakly  # type: ignore[method-assign,assignment]
    BaseModel._tracked_weakly = True  # type: ignore[attr-defined]


_queues_in_one_pass = False


def queues_count_in_one_pass() -> None:
    """Let an SQS queue tell its visible, in-flight and delayed messages with one clock read.

    moto reads the clock twice per message held for each of these (three of them on every
    ``SendMessage``, which computes the queue's attributes), so sending N messages to a queue
    cost N² clock reads: 400 messages took 3.9 s, 800 took 11.7 s, a batch of every bank
    (4 600) more than five minutes. Here each is one pass with one reading of the time;
    what counts as visible or delayed is moto's rule (``Message.visible``, ``delayed``).
    """
    global _queues_in_one_pass
    if _queues_in_one_pass:
        return
    from moto.sqs import models

    def now() -> float:
        return float(models.unix_time_millis())

    def messages(self: Any) -> list[Any]:
        at = now()
        return [m for m in self._messages if at > m.visible_at and not at < m.delayed_until]

    def delayed(self: Any) -> int:
        at = now()
        return sum(1 for m in self._messages if at < m.delayed_until)

    def not_visible(self: Any) -> int:
        at = now()
        return sum(1 for m in self._messages if not at > m.visible_at)

    models.Queue.messages = property(messages)  # type: ignore[method-assign,assignment]
    models.Queue.approximate_number_of_messages_delayed = property(delayed)  # type: ignore[method-assign,assignment]
    models.Queue.approximate_number_of_messages_not_visible = property(not_visible)  # type: ignore[method-assign,assignment]
    _queues_in_one_pass = True


def keep_connections_alive() -> None:
    """Let moto's server keep a connection open between requests, as AWS's endpoints do.

    Werkzeug's handler speaks HTTP/1.0 by default and closes every connection after one
    answer, so each AWS call paid a TCP connect and the server a new thread (a tenth of an
    eight-quarter import's time went there). With HTTP/1.1 it keeps the connection (moto
    sends a Content-Length); ``TCP_NODELAY`` stops Nagle's algorithm from holding the body,
    which Werkzeug writes apart from the headers, for a delayed ACK.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    if getattr(MotoRequestHandler, "_kept_alive", False):
        return
    setup = MotoRequestHandler.setup

    def setup_without_delay(self: Any) -> None:
        setup(self)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    MotoRequestHandler.protocol_version = "HTTP/1.1"
    MotoRequestHandler.setup = setup_without_delay  # type: ignore[method-assign]
    MotoRequestHandler._kept_alive = True  # type: ignore[attr-defined]


def add_token_revocation() -> None:
    """Give moto's Cognito the ``RevokeToken`` call it lacks (the page's sign-out sends it):
    the refresh token stops working, as in Cognito. Nothing else changes."""
    from moto.cognitoidp import models, responses
    from moto.core.responses import EmptyResult

    if hasattr(responses.CognitoIdpResponse, "revoke_token"):
        return

    def revoke_token(self: Any) -> Any:
        token, client_id = self._get_param("Token"), self._get_param("ClientId")
        for backends in models.cognitoidp_backends.values():
            for region, backend in backends.items():
                if region == "global":
                    continue
                for pool in backend.user_pools.values():
                    held = pool.refresh_tokens.get(token)
                    if held is not None and held[0] == client_id:
                        pool.refresh_tokens[token] = None
        return EmptyResult()  # an unknown token too, as Cognito answers it

    responses.CognitoIdpResponse.revoke_token = revoke_token  # type: ignore[attr-defined]


class Stalls:
    """WSGI middleware: a request whose ``X-Amz-Target`` starts with a stalled prefix (such
    as ``DynamoDB_20120810`` or ``DynamoDB_20120810.GetItem``) waits until its stall ends."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}  # prefix → when its stall ends (monotonic)

    def stall(self, prefix: str, seconds: float) -> None:
        with self._lock:
            self._until[prefix] = time.monotonic() + seconds

    def release(self) -> None:
        with self._lock:
            self._until.clear()

    def _ends(self, target: str) -> float:
        with self._lock:
            ends = [until for prefix, until in self._until.items() if target.startswith(prefix)]
        return max(ends, default=0.0)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        while target and time.monotonic() < self._ends(target):
            time.sleep(0.05)
        return self._app(environ, start_response)


def patch_moto(undo_per_item: bool = True) -> None:
    """Everything the emulator changes in moto's backends, for the in-process tests and
    benches as for the server (``undo_per_item=False`` keeps moto's table copies, to
    measure them)."""
    make_dynamodb_writes_atomic()
    models_tracked_weakly()
    answer_items_as_stored()
    query_one_partition()
    if undo_per_item:
        transactions_undo_their_items()
    queues_count_in_one_pass()


class Emulator:
    """moto's threaded server on 127.0.0.1, started and stopped by its owner."""

    def __init__(self, port: int) -> None:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        patch_moto()
        keep_connections_alive()
        add_token_revocation()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)

    def start(self) -> str:
        """Start serving and return the endpoint URL."""
        self._server.start()
        wsgi = self._server._server  # werkzeug's server, which calls its ``app`` per request
        assert wsgi is not None
        self.stalls = Stalls(wsgi.app)
        wsgi.app = self.stalls
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()
