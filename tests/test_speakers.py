"""The speaker encoder (known answers from resemblyzer's own code), inferred voices, the estimated leakage claim, the
group column checked against the voices, and speakers across a `split` column."""
from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from audiodiag import verdict
from audiodiag.data.decoding import load_clip
from audiodiag.data.layout import load_folder
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import compare
from audiodiag.evaluation.evaluate import Estimate, SplitComparison
from audiodiag.measure import speakers
from audiodiag.represent import spaces
from audiodiag.represent.encoders import speaker as speaker_encoder
from audiodiag.types import Clip, ClipInfo
from audiodiag.verdict import Kind
from audiodiag.verdict.evidence import Groups, InferredSpeakers
from audiodiag.verdict.leakage import estimated_leakage
from tests.helpers import long_sentences, noise, real_audio_dir, sine

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(__file__).with_name("speaker_reference.json")
# Per-component tolerance against the reference. The reference and the encoder run the same float32 LSTM on the same
# mel frames; what differs is summation order (torch's batched GEMMs, librosa's STFT, our float64 mean of partials
# vs the package's float32 one). On the machine that made the reference the largest difference is 3e-7; another
# CPU's SIMD width reorders sums again, and 160 LSTM steps can grow that to ~1e-5. 1e-4 leaves room for it and is
# still 1000x smaller than the differences between voices (the four reference clips differ by 0.05-0.3 per component).
REFERENCE_TOLERANCE = 1e-4
# Measured ARI of the inferred voices against the true speakers (benchmarks/speakers.py): 0.46 on the bundled
# synthetic digits and 0.95 on the real FSDD digits. Bounds below those, so a CPU's rounding that moves one clip
# across the cut does not fail the test, while a broken front end (ARI near 0) does.
BUNDLED_ARI_MIN = 0.35
REAL_ARI_MIN = 0.85


@pytest.fixture(scope="module")
def encoder():
    if importlib.util.find_spec("resemblyzer") is None:  # never imported: it would import webrtcvad
        pytest.skip("resemblyzer ships the speaker encoder's weights (pip install --no-deps -r requirements-nodeps.txt)")
    return speakers.speaker_encoder()


def _reference_clip(row: dict) -> Clip:
    clip = load_clip((ROOT / "sample_audio" / row["file"]).read_bytes(), name=row["file"])
    samples = clip.samples if row["keep_s"] is None else clip.samples[:int(row["keep_s"] * clip.sample_rate_hz)]
    return replace(clip, samples=(samples * np.float32(row["gain"])).astype(np.float32))


def test_embeddings_match_resemblyzers_own_code(encoder):
    """tools/make_speaker_reference.py ran VoiceEncoder.embed_utterance (after normalize_volume) in a throwaway
    environment on these clips: several partials, a dropped last partial, one zero-padded partial, a quiet clip."""
    reference = json.loads(REFERENCE.read_text())["clips"]
    clips = [_reference_clip(row) for row in reference]
    assert [len(speaker_encoder.partial_starts(len(c.samples))) for c in clips] == [r["n_partials"] for r in reference]
    rows = encoder.embed(clips)
    expected = np.asarray([r["embedding"] for r in reference], np.float32)
    assert rows.shape == (4, 256) and rows.dtype == np.float32
    np.testing.assert_allclose(rows, expected, atol=REFERENCE_TOLERANCE, rtol=0)


def test_contract_unit_rows_resampled_and_batched_equals_one_by_one(encoder):
    clips = [Clip("a.wav", sine(220.0, duration_s=1.0), 16_000, 16_000, 1),  # one partial each, c.wav two
             Clip("b.wav", noise(duration_s=0.4, sample_rate_hz=8_000, seed=1), 8_000, 8_000, 1),
             Clip("c.wav", noise(duration_s=2.2, sample_rate_hz=44_100, seed=2), 44_100, 44_100, 1)]
    together = encoder.embed(clips)
    alone = np.concatenate([encoder.embed([c]) for c in clips])
    assert together.shape == (3, speaker_encoder.SPEAKER_EMBEDDING_SIZE) and together.dtype == np.float32
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(encoder.embed(clips[:1]), encoder.embed(clips[:1]))
    with pytest.raises(AudioDiagError, match="only its final layer"):
        encoder.embed(clips[:1], layer=2)


def test_quiet_clip_is_raised_to_minus_30_dbfs_and_loud_clip_is_left_alone():
    quiet, loud = sine(300.0, amplitude=0.001), sine(300.0, amplitude=0.5)
    raised = speaker_encoder.raised_to_target(quiet)
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(np.square(raised.astype(np.float64)))))
    assert rms_dbfs == pytest.approx(speaker_encoder.SPEAKER_TARGET_DBFS, abs=0.01)
    assert speaker_encoder.raised_to_target(loud) is loud


def test_weights_that_are_not_the_wheels_are_refused(tmp_path):
    torch = pytest.importorskip("torch")
    fake = tmp_path / "pretrained.pt"
    fake.write_bytes(b"not the weights")
    with pytest.raises(AudioDiagError, match="sha256 .* is not the checkpoint of resemblyzer 0.1.4.*--no-deps"):
        speaker_encoder._weights(fake, torch)


# ---------------------------------------------------------------- inferred voices (fast: voice vectors made here)

N_SPEAKERS, PER_SPEAKER = 6, 12


def _voices(seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Speaker per clip and 32-d voice vectors: each speaker its own direction, clips scattered around it."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (N_SPEAKERS, 32))
    who = np.repeat(np.arange(N_SPEAKERS), PER_SPEAKER)
    return [f"spk{k}" for k in who], centres[who] + rng.normal(0, 0.35, (len(who), 32))


def _leaky_clips(speaker_ids: list[str], *, with_groups: bool = False) -> tuple[list[Clip], np.ndarray]:
    """Clips of two balanced classes whose features carry each speaker's own class direction: a classifier trained
    on a speaker's other clips gets that speaker right, one that never heard the speaker is at chance."""
    rng = np.random.default_rng(1)
    who = np.asarray([int(s[3:]) for s in speaker_ids])
    label = np.arange(len(who)) % 2
    directions = rng.normal(0, 1, (N_SPEAKERS, 24))
    features = np.c_[np.eye(N_SPEAKERS)[who] * 2, (2 * label - 1)[:, None] * directions[who]]
    features += rng.normal(0, 0.3, features.shape)
    clips = [Clip(f"{s}_{i}.wav", np.full(160, i, np.float32), 16_000, 16_000, 1, label="ab"[label[i]],
                  group=s if with_groups else None) for i, s in enumerate(speaker_ids)]
    return clips, features


def test_voices_are_clustered_into_speakers_and_agreement_is_measured():
    speaker_ids, vectors = _voices()
    clips, _ = _leaky_clips(speaker_ids)
    estimate = speakers.estimate_speakers(clips, speech_share=0.9, vectors=vectors)
    assert estimate.status == speakers.ESTIMATED and estimate.n_voices == N_SPEAKERS
    found = speakers.agreement(speaker_ids, estimate.voices)
    assert (found.ari, found.purity, found.inverse_purity) == (1.0, 1.0, 1.0)
    assert set(estimate.groups) == {f"voice {k + 1}" for k in range(N_SPEAKERS)}
    assert estimate.label_ami < speakers.LABEL_AMI_MAX


def test_voices_do_not_depend_on_the_order_of_the_clips():
    speaker_ids, vectors = _voices()
    clips, _ = _leaky_clips(speaker_ids)
    order = np.random.default_rng(0).permutation(len(clips))
    given = speakers.estimate_speakers(clips, speech_share=0.9, vectors=vectors)
    shuffled = speakers.estimate_speakers([clips[i] for i in order], speech_share=0.9, vectors=vectors[order])
    assert [shuffled.groups[k] for k in np.argsort(order)] == list(given.groups)


def test_why_voices_are_not_inferred():
    few = [Clip(f"{i}.wav", np.zeros(160, np.float32), 16_000, 16_000, 1, label="ab"[i % 2]) for i in range(8)]
    assert speakers.estimate_speakers(few, speech_share=0.2).status == speakers.NOT_SPEECH
    assert speakers.estimate_speakers(few, speech_share=0.9).status == speakers.TOO_FEW_CLIPS
    labels = np.arange(40) % 2
    clips = [Clip(f"{i}.wav", np.zeros(160, np.float32), 16_000, 16_000, 1, label=str(v)) for i, v in enumerate(labels)]
    follows = np.eye(4)[labels] * 3 + np.random.default_rng(0).normal(0, 0.1, (40, 4))  # voices = classes
    assert speakers.estimate_speakers(clips, speech_share=0.9, vectors=follows).status == speakers.FOLLOWS_LABELS
    scattered = np.random.default_rng(1).normal(0, 1, (40, 256))  # no two clips alike
    assert speakers.estimate_speakers(clips, speech_share=0.9, vectors=scattered).status == speakers.EVERY_CLIP_ALONE
    assert speakers.estimate_speakers([replace(c, fold=str(i % 3)) for i, c in enumerate(clips)],
                                      speech_share=0.9).status == speakers.PREDEFINED_FOLDS
    grouped = [replace(c, group="g") for c in clips]
    assert speakers.estimate_speakers(grouped, speech_share=0.2).status == speakers.GROUPS_GIVEN
    infos = [ClipInfo(c.name, 160, 16_000, 16_000, 1, label=c.label) for c in clips]  # a streamed run: no audio
    assert speakers.estimate_speakers(infos, speech_share=0.9).status == speakers.NO_AUDIO


def test_comparison_without_speakers_states_an_estimated_leakage():
    speaker_ids, voice_vectors = _voices()
    clips, features = _leaky_clips(speaker_ids)
    estimate = speakers.estimate_speakers(clips, speech_share=0.9, vectors=voice_vectors)
    space = spaces.SpaceVectors(spaces.BASELINE, features.astype(np.float32), float("nan"), 0.0, False, {})
    comparison = compare.compare(clips, [space], speakers=estimate, n_boot=200)
    rung = comparison.rungs[0]
    check = rung.estimated_split_check
    assert rung.split_check is None and check is not None
    assert check.random_accuracy == pytest.approx(rung.metrics.accuracy.value)  # one figure of it, not two
    assert check.random_accuracy >= 0.9 and check.group_accuracy <= 0.7 and check.leakage_suspected
    assert comparison.settings["speakers"]["n_voices"] == N_SPEAKERS
    claims = verdict.classification_claims(verdict.classification_evidence(comparison))
    assert verdict.check_consistency(claims) == []
    (leak,) = [c for c in claims if c.kind is Kind.LEAKAGE]
    (estimated,) = [c for c in claims if c.kind is Kind.LEAKAGE_ESTIMATED]
    assert leak.verdict == "unmeasured"  # known speakers are never claimed
    assert estimated.verdict == "present" and estimated.severity is verdict.Severity.WARNING
    assert (f"random folds {check.random_accuracy:.3f}, estimated-speaker folds {check.group_accuracy:.3f}"
            in estimated.text)
    assert f"({N_SPEAKERS} groups)" in estimated.text and "not measured" in estimated.text
    assert long_sentences(estimated.text) == []


def test_voices_that_cannot_be_kept_apart_in_folds_are_not_used():
    speaker_ids, voice_vectors = _voices()
    clips, features = _leaky_clips(speaker_ids)
    clips = [replace(c, label="a" if s in ("spk0",) else "b") for c, s in zip(clips, speaker_ids)]  # 'a': one voice
    estimate = replace(speakers.estimate_speakers(clips, speech_share=0.9, vectors=voice_vectors),
                       status=speakers.ESTIMATED)  # past the labels guard, as a class heard in one voice would be
    space = spaces.SpaceVectors(spaces.BASELINE, features.astype(np.float32), float("nan"), 0.0, False, {})
    comparison = compare.compare(clips, [space], speakers=estimate, n_boot=50)
    assert comparison.speakers.status == speakers.NO_FOLDS and comparison.rungs[0].estimated_split_check is None
    (claim,) = [c for c in verdict.classification_claims(verdict.classification_evidence(comparison))
                if c.kind is Kind.LEAKAGE_ESTIMATED]
    assert claim.verdict == "not estimated" and "come from one group" in claim.text


def _split(gap: float, *, suspected: bool) -> SplitComparison:
    return SplitComparison(0.9, 0.9 - gap, "", "", suspected, "", (gap - 0.1, gap + 0.1), 0.01 if suspected else 0.5)


def _rung(check: SplitComparison | None):
    from audiodiag.verdict.evidence import Rung

    a = Estimate(0.9, 0.85, 0.95)
    return Rung("base", a, a, 0.001, 8, 1.0, {}, (), None, None, check)


NO_GROUPS = Groups(given=False, used=False, requested=True, n_groups=None, n_clips=60)


@pytest.mark.parametrize("status, words", [
    (speakers.NOT_SPEECH, "speech is 12% of the audio"), (speakers.TOO_FEW_CLIPS, "60 clips are too few"),
    (speakers.NO_AUDIO, "streamed run keeps no audio"), (speakers.ONE_VOICE, "one voice"),
    (speakers.FOLLOWS_LABELS, "follow the labels (adjusted mutual information 0.70"),
    (speakers.NO_FOLDS, "cannot be drawn (all clips of class 'a' come from one group ('voice 1'))"),
    (speakers.UNAVAILABLE, "could not run (no weights here)"),
    (speakers.PREDEFINED_FOLDS, "the dataset's own folds are used as given"),
])
def test_the_note_says_why_leakage_was_not_estimated(status, words):
    detail = {speakers.NO_FOLDS: "all clips of class 'a' come from one group ('voice 1'); group-aware folds ...",
              speakers.UNAVAILABLE: "no weights here."}.get(status, "")
    claim = estimated_leakage(InferredSpeakers(status, 3, 60, 0.12, 0.7, detail), [_rung(None)], NO_GROUPS)
    assert claim.kind is Kind.LEAKAGE_ESTIMATED and claim.verdict == "not estimated"
    assert claim.text.startswith("Speaker leakage was not estimated: ") and words in claim.text
    assert long_sentences(claim.text) == []


def test_estimated_leakage_absent_and_never_beside_known_groups():
    absent = estimated_leakage(InferredSpeakers(speakers.ESTIMATED, 7, 60), [_rung(_split(0.02, suspected=False))],
                               NO_GROUPS)
    assert absent.verdict == "absent" and "estimated-speaker folds 0.880" in absent.text
    given = Groups(given=True, used=True, requested=True, n_groups=6, n_clips=60)
    assert estimated_leakage(InferredSpeakers(speakers.NOT_SPEECH, 0, 60), [_rung(None)], given) is None
    measured = verdict.Claim(Kind.LEAKAGE, (), "present", "measured")
    assert verdict.check_consistency([measured, absent])  # a contradiction: inferred voices beside known groups


# ---------------------------------------------------------------- the group column, checked against the voices

def test_clean_speaker_column_gives_no_finding():
    speaker_ids, vectors = _voices()
    clips, _ = _leaky_clips(speaker_ids, with_groups=True)
    estimate = speakers.estimate_speakers(clips, speech_share=0.9, vectors=vectors)
    assert estimate.status == speakers.GROUPS_GIVEN and estimate.findings == ()


def test_two_speakers_under_one_id_and_one_speaker_under_two_ids_are_findings():
    speaker_ids, vectors = _voices()
    relabelled = ["spk0+1" if s in ("spk0", "spk1") else "spk2-b" if s == "spk2" and i % 2 else s
                  for i, s in enumerate(speaker_ids)]
    clips, _ = _leaky_clips(speaker_ids, with_groups=True)
    clips = [replace(c, group=g) for c, g in zip(clips, relabelled)]
    found = {f.code: f for f in speakers.estimate_speakers(clips, speech_share=0.9, vectors=vectors).findings}
    assert set(found) == {"speaker_sounds_like_two", "speakers_sound_alike"}
    two, alike = found["speaker_sounds_like_two"], found["speakers_sound_alike"]
    assert "'spk0+1' sounds like two voices" in two.message and "12 of its 24 clips" in two.message
    assert "'spk2' and 'spk2-b' sound like one voice" in alike.message and "of their 12 clips right" in alike.message
    assert len(two.files) == 24 and len(alike.files) == 12
    for f in found.values():
        assert long_sentences(f.message) == []


# ---------------------------------------------------------------- a split column

def test_speakers_in_more_than_one_split_are_named():
    names = [f"{i}.wav" for i in range(6)]
    found = speakers.split_findings(names, ["ann", "ann", "bo", "bo", "cy", "cy"],
                                    ["train", "test", "train", "train", "validation", "test"])
    (finding,) = found
    assert finding.code == "speaker_across_splits" and finding.files == ("0.wav", "1.wav", "4.wav", "5.wav")
    assert "2 of 3 labelled speakers" in finding.message and "ann (test 1, train 1)" in finding.message
    assert speakers.split_findings(names, ["ann"] * 6, [None] * 6) == []
    assert long_sentences(finding.message) == []


# ---------------------------------------------------------------- the real encoder on the digits (slow)

@pytest.fixture(scope="module")
def digits(encoder):
    """The bundled synthetic digits (6 speakers x 2 takes x 10 digits) and their voice vectors."""
    clips = [c for c in load_folder(ROOT / "sample_audio" / "spoken_digits") if isinstance(c, Clip)]
    return clips, speakers.speaker_vectors(clips)


@pytest.mark.slow
def test_voices_of_the_bundled_digits_agree_with_the_speakers(digits):
    clips, vectors = digits
    estimate = speakers.estimate_speakers([replace(c, group=None) for c in clips], speech_share=0.9, vectors=vectors)
    assert estimate.status == speakers.ESTIMATED
    found = speakers.agreement([c.group for c in clips], estimate.voices)
    assert found.ari >= BUNDLED_ARI_MIN
    assert found.inverse_purity >= 0.9  # errors merge voices (cautious for leakage) rather than split a speaker
    assert speakers.estimate_speakers(clips, speech_share=0.9, vectors=vectors).findings == ()  # labels are right


@pytest.mark.slow
def test_voices_of_the_real_digits_agree_with_the_speakers(encoder):
    clips = [c for c in load_folder(real_audio_dir() / "spoken_digits") if isinstance(c, Clip)]
    vectors = speakers.speaker_vectors(clips)
    estimate = speakers.estimate_speakers([replace(c, group=None) for c in clips], speech_share=0.9, vectors=vectors)
    found = speakers.agreement([c.group for c in clips], estimate.voices)
    assert estimate.status == speakers.ESTIMATED and found.ari >= REAL_ARI_MIN and found.n_voices == 5
    # FSDD's speakers, relabelled: george and jackson under one id, nicolas's take 6 under a second id
    relabelled = [replace(c, group="george+jackson" if c.group in ("george", "jackson") else
                          "nicolas-b" if c.group == "nicolas" and c.name.endswith("_6.wav") else c.group)
                  for c in clips]
    codes = {f.code for f in speakers.estimate_speakers(relabelled, speech_share=0.9, vectors=vectors).findings}
    assert codes == {"speaker_sounds_like_two", "speakers_sound_alike"}


@pytest.mark.slow
@pytest.mark.parametrize("where", ["bundled", "real"])
def test_note_on_digits_without_speakers_states_the_estimated_leakage(where, encoder):
    from audiodiag.settings import ComparisonSettings
    from audiodiag.verdict import decide

    root = (ROOT / "sample_audio" if where == "bundled" else real_audio_dir()) / "spoken_digits"
    clips = [replace(c, group=None) for c in load_folder(root) if isinstance(c, Clip)]
    note = decide.run_classification(clips, ComparisonSettings(encoders=()), dataset_name=where).note
    (claim,) = [c for c in note.data["claims"] if c["kind"] == Kind.LEAKAGE_ESTIMATED.value]
    assert claim["verdict"] in ("present", "absent")
    lines = [line for s in note.sections if s.title == "Task and data" for line in s.lines]
    assert any(line.startswith("Speaker leakage estimated, not measured") and "estimated-speaker folds" in line
               for line in lines)
    assert note.data["comparison"]["speakers"]["status"] == speakers.ESTIMATED


def test_a_split_column_is_carried_from_a_labels_table_and_a_manifest(tmp_path):
    from audiodiag.data import layout, manifest, tables
    from tests.helpers import wav_bytes

    for i in range(4):
        (tmp_path / "dog").mkdir(exist_ok=True)
        (tmp_path / "dog" / f"{i}.wav").write_bytes(wav_bytes(sine(300.0 + 50 * i, duration_s=0.1)))
    table = "path,label,speaker,split\n" + "".join(f"dog/{i}.wav,dog,{'ab'[i % 2]},{('train', 'test')[i // 2]}\n"
                                                    for i in range(4))
    (tmp_path / "labels.csv").write_text(table)
    clips = sorted((c for c in layout.load_folder(tmp_path) if isinstance(c, Clip)), key=lambda c: c.name)
    assert [c.split for c in clips] == ["train", "train", "test", "test"]
    assert tables.table_unused_columns(table.encode(), name="labels.csv") is None  # the split column is read
    rows = [r for r in manifest.read_manifest(tmp_path / "labels.csv")]
    assert [manifest.load_row(r).split for r in rows] == ["train", "train", "test", "test"]
    assert ClipInfo.of(clips[0]).split == "train"
    (finding,) = speakers.estimate_speakers(clips, speech_share=0.0).findings  # labelled speakers need no voices
    assert finding.code == "speaker_across_splits" and "2 of 2 labelled speakers" in finding.message


def test_inferred_voices_in_more_than_one_split_are_named():
    speaker_ids, vectors = _voices()
    clips, _ = _leaky_clips(speaker_ids)
    clips = [replace(c, split="train" if i % 4 else "test") for i, c in enumerate(clips)]  # every voice in both
    estimate = speakers.estimate_speakers(clips, speech_share=0.9, vectors=vectors)
    (finding,) = estimate.findings
    assert finding.code == "speaker_across_splits"
    assert f"{N_SPEAKERS} of {N_SPEAKERS} inferred voices" in finding.message and "voice 1 (test 3, train 9)" in \
        finding.message
    assert long_sentences(finding.message) == []


@pytest.mark.slow
@pytest.mark.usefixtures("private_cache")
def test_compare_and_decide_pages_state_the_estimated_leakage_when_the_speaker_column_is_dropped(encoder):
    from streamlit.testing.v1 import AppTest

    from tests.helpers import zip_bytes

    folder = ROOT / "sample_audio" / "spoken_digits"
    digits = zip_bytes({f"digits/{p.relative_to(folder).as_posix()}": p.read_bytes()
                        for p in sorted(folder.rglob("*.wav"))})  # class folders, no groups.csv
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value([("digits.zip", digits, "application/zip")]).run()
    at.switch_page("pages/2_Compare.py").run()
    at.multiselect(key="compare_encoders").set_value([])
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [w.value.replace("\\", "") for w in at.warning]
    assert any("leakage is unmeasured" in w and "Speaker leakage estimated, not measured" in w
               and "estimated-speaker folds" in w for w in shown), shown
    at.switch_page("pages/5_Decide.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = "\n".join(e.value.replace("\\", "") for kind in ("markdown", "warning", "info", "caption")
                     for e in at.get(kind))
    assert "Speaker leakage estimated, not measured" in text


@pytest.mark.slow
def test_note_advises_on_a_speaker_column_that_the_voices_contradict(encoder):
    from audiodiag.settings import ComparisonSettings
    from audiodiag.verdict import decide

    clips = [c for c in load_folder(ROOT / "sample_audio" / "spoken_digits") if isinstance(c, Clip)]
    relabelled = [replace(c, group="ava+bram" if c.group in ("ava", "bram") else c.group,
                          split="test" if c.name.endswith("_1.wav") else "train") for c in clips]
    note = decide.run_classification(relabelled, ComparisonSettings(encoders=()), dataset_name="digits").note
    advice = next(s.lines for s in note.sections if s.title.startswith("Advice on the data"))
    assert any("'ava+bram' sounds like two voices" in line for line in advice), advice
    assert any("5 of 5 labelled speakers have clips in more than one split" in line for line in advice), advice
    assert not [c for c in note.data["claims"] if c["kind"] == Kind.LEAKAGE_ESTIMATED.value]  # groups: measured
