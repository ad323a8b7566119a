"""The emulator answers items in the JSON moto holds them in: the same bytes' meaning as
moto's own serializer writes, for every kind of attribute value."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.e2e.local_stack import ROOT

ITEMS: list[dict[str, Any]] = [
    {"pk": {"S": "BANK#1"}, "sk": {"S": "PROFILE"}, "n": {"N": "12.5"}, "t": {"BOOL": True},
     "z": {"NULL": True}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
     "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "3"}, {"M": {}}]}}}, "e": {"L": []}},
    {"pk": {"S": "BANK#2"}, "sk": {"S": "Q#20240630"}, "b": {"B": "aGVsbG8="},
     "mb": {"M": {"bin": {"B": "aGVsbG8="}}}, "bs": {"BS": ["aGVsbG8="]}},
]  # fmt: skip
# In a process of its own: the patch is process-wide, and the comparison needs moto's own
# serializer first.
PROGRAM = """
import json, sys
from moto.core.responses import get_service_model
from moto.core.serialize import XFormedAttributePicker, get_serializer_class
from devstack.emulator import answer_items_as_stored

items = json.loads(sys.stdin.read())
model = get_service_model("dynamodb")
def answers():
    out = []
    for operation, result in (
        ("BatchGetItem", {"Responses": {"t": items}, "UnprocessedKeys": {}}),
        ("Query", {"Items": items, "Count": len(items), "ScannedCount": len(items)}),
        ("GetItem", {"Item": items[0]}),
    ):
        serializer = get_serializer_class("dynamodb", "json")(
            operation_model=model.operation_model(operation),
            value_picker=XFormedAttributePicker(),
        )
        out.append(json.loads(serializer.serialize(result)["body"]))
    return out
before = answers()
answer_items_as_stored()
print(json.dumps({"before": before, "after": answers()}))
"""


def test_items_are_answered_as_moto_would_answer_them() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], input=json.dumps(ITEMS), cwd=ROOT,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    answers = json.loads(done.stdout)
    assert answers["after"] == answers["before"]
    assert answers["after"][2]["Item"] == ITEMS[0]  # an item's own JSON, as held
