"""The bundled sets' decision notes equal their recordings (tests/golden_notes.py), timings aside: a change that
must not alter behaviour (issue 32's reorganisation) is checked on the product's own output, made by the CLI in
memory, streamed and on Ray."""
from __future__ import annotations

import json

import pytest

from tests import golden_notes

pytestmark = pytest.mark.slow


def _shape(value, path="$"):
    """Every key path and list length of a note: what does not depend on the CPU's rounding."""
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in _shape(v, f"{path}.{k}")} | {path}
    if isinstance(value, list):
        return {p for i, v in enumerate(value) for p in _shape(v, f"{path}[{i}]")} | {f"{path} len {len(value)}"}
    return {path}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("golden-cache")


@pytest.mark.parametrize("name", sorted(golden_notes.NOTES))
def test_the_note_equals_its_recording(name, tmp_path, cache):
    recorded_on = json.loads((golden_notes.GOLDEN / "machine.json").read_text(encoding="utf-8"))
    expected = json.loads((golden_notes.GOLDEN / f"{golden_notes.GOLDEN_OF[name]}.json").read_text(encoding="utf-8"))
    note = json.loads(json.dumps(golden_notes.produce(name, tmp_path, cache), sort_keys=True))
    if golden_notes.machine()["simd"] == recorded_on["simd"]:
        assert note == expected
    else:  # another vector instruction set rounds the models' numbers differently: the structure must still hold
        assert _shape(note) == _shape(expected)
        assert (note["task"], note["dataset"]) == (expected["task"], expected["dataset"])
