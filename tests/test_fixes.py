"""How-to-fix texts: tokens in the library, worded by whoever shows them (audiodiag.fixes)."""
from __future__ import annotations

import pytest

from audiodiag import cli, fixes
from audiodiag.errors import BadParameterError
from audiodiag.types import Finding
from pages import _fixes as wording

READERS = (cli.CLI, wording.APP, fixes.LIBRARY)


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_words_every_fix_and_leaves_no_token(reader):
    text = " ".join(fixes.FIXES)
    worded = fixes.render(text, reader)
    assert not fixes.TOKEN.search(worded) and all(w for w in worded.split())


def test_each_reader_names_its_own_controls():
    assert "--group-column" in fixes.render(fixes.ADD_GROUPS, cli.CLI)
    assert "sidebar's 'Group column'" in fixes.render(fixes.ADD_GROUPS, wording.APP)
    assert "group_by=" in fixes.render(fixes.ADD_GROUPS, fixes.LIBRARY)
    assert fixes.render(fixes.USE_GROUPS, cli.CLI) == "run again without --no-groups"


def test_a_reader_must_word_every_fix_and_an_unknown_reader_is_refused():
    with pytest.raises(BadParameterError, match="missing"):
        fixes.register("half", {fixes.ADD_GROUPS: "x"})
    with pytest.raises(BadParameterError, match="no wording registered for reader 'nobody'"):
        fixes.render(f"Fix: {fixes.ADD_GROUPS}.", "nobody")


def test_rendered_words_strings_inside_dataclasses_and_containers_and_keeps_the_rest():
    finding = Finding("group_across_folds", "warning", f"Fix: {fixes.USE_GROUPS}.", ("a.wav",))
    untouched = Finding("clipping", "warning", "clipped", ("b.wav",))
    out = fixes.rendered({"findings": (finding, untouched), "n": 3}, cli.CLI)
    assert out["findings"][0].message == "Fix: run again without --no-groups." and out["n"] == 3
    assert out["findings"][1] is untouched and out["findings"][0].files == ("a.wav",)
    assert fixes.rendered(out, cli.CLI) == out  # worded text has no token left: rendering again changes nothing
