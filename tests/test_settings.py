"""Typed settings: validation with messages that name the setting, the value and the fix; serialisation; the
equivalent command line, parsed back by the CLI into the same settings."""
from __future__ import annotations

import json
import shlex

import pytest

from audiodiag import cli, settings
from audiodiag.errors import AudioDiagError, InvalidAudioError
from audiodiag.represent.features import FeatureSettings
from audiodiag.settings import ComparisonSettings, RetrievalSettings, SettingsError, TranscriptionSettings
from audiodiag.verdict import decide

EXAMPLES = [
    ComparisonSettings(),
    ComparisonSettings(encoders=("speech_embedding", "facebook/wav2vec2-base"), n_splits=3, group_aware=False,
                       pad_s=1.25, layer=4, seed=7),
    ComparisonSettings(encoders=(), features=FeatureSettings(n_mels=40, n_mfcc=13)),
]


@pytest.mark.parametrize("chosen", EXAMPLES)
def test_comparison_settings_round_trip_through_json_and_the_command_line(chosen):
    assert ComparisonSettings.from_dict(json.loads(json.dumps(chosen.to_dict()))) == chosen
    line = chosen.to_command_line("data dir/")
    words = shlex.split(line)
    assert words[:5] == ["python", "-m", "audiodiag", "report", "data dir/"]
    assert cli.comparison_settings(cli.parser().parse_args(words[3:])) == chosen


def test_transcription_and_retrieval_settings_round_trip():
    chosen = TranscriptionSettings(model="whisper-tiny.en", beam=3, temperature=0.2, language="de",
                                   normalisation="english")
    assert TranscriptionSettings.from_dict(chosen.to_dict()) == chosen
    args = cli.parser().parse_args(shlex.split(chosen.to_command_line("utterances"))[3:])
    assert cli.transcription_settings(args) == chosen
    retrieval = RetrievalSettings(ComparisonSettings(encoders=("speech_embedding",), n_splits=4), True)
    assert RetrievalSettings.from_dict(json.loads(json.dumps(retrieval.to_dict()))) == retrieval
    args = cli.parser().parse_args(shlex.split(retrieval.to_command_line("sounds"))[3:])
    assert cli.retrieval_settings(args) == retrieval


@pytest.mark.parametrize("kwargs, message", [
    ({"n_splits": 1}, "ComparisonSettings.n_splits=1: expected an integer from 2 to 20"),
    ({"n_splits": 5.5}, "ComparisonSettings.n_splits=5.5: expected an integer from 2 to 20"),
    ({"pad_s": -1.0}, "ComparisonSettings.pad_s=-1.0: expected None (no padding) or seconds in (0, 600]"),
    ({"pad_s": float("nan")}, "ComparisonSettings.pad_s=nan"),
    ({"layer": 99}, "ComparisonSettings.layer=99: expected an integer from 0 to 48"),
    ({"encoders": ("",)}, "ComparisonSettings.encoders=('',): expected encoder names"),
    ({"group_aware": "yes"}, "ComparisonSettings.group_aware='yes': expected True or False"),
])
def test_a_bad_setting_names_itself_its_value_and_what_was_expected(kwargs, message):
    with pytest.raises(SettingsError, match=None) as e:
        ComparisonSettings(**kwargs)
    assert str(e.value).startswith(message)


def test_settings_errors_are_not_data_errors_and_unknown_keys_are_named():
    with pytest.raises(SettingsError) as e:
        ComparisonSettings.from_dict({"n_splits": 5, "folds": 3})
    assert "unknown setting(s) folds" in str(e.value) and "n_splits" in str(e.value)
    assert isinstance(e.value, AudioDiagError) and not isinstance(e.value, InvalidAudioError)
    with pytest.raises(SettingsError, match="normalisation='loose'"):
        TranscriptionSettings(normalisation="loose")
    with pytest.raises(SettingsError, match="beam_size=0"):
        TranscriptionSettings(beam=0)


def test_normalisations_defaults_and_derived_values_agree_with_the_library():
    assert decide.DEFAULT_ENCODERS == settings.DEFAULT_ENCODERS == ComparisonSettings().encoders
    chosen = ComparisonSettings(encoders=("spectral baseline (MFCC/log-mel)", "speech_embedding", "speech_embedding"),
                                layer=-1, pad_s=2)
    assert chosen.encoders == ("speech_embedding (openwakeword)",) and chosen.layer is None and chosen.pad_s == 2.0
    assert chosen.spaces == ("spectral baseline (MFCC/log-mel)", "speech_embedding (openwakeword)")
    assert chosen.padding.length_s == 2.0


def test_the_cli_refuses_bad_settings_with_exit_2(capsys):
    assert cli.main(["report", "spoken_digits", "--folds", "1"]) == 2
    assert "ComparisonSettings.n_splits=1" in capsys.readouterr().err


def test_retrieval_excludes_same_group_neighbours_by_default_everywhere():
    """Issue 27, class 8: the settings, the CLI and its command line agree that the own group is excluded."""
    assert RetrievalSettings().exclude_same_group is True
    args = cli.parser().parse_args(["report", "spoken_digits", "--task", "retrieve"])
    assert cli.retrieval_settings(args).exclude_same_group is True
    asked = cli.parser().parse_args(["report", "spoken_digits", "--task", "retrieve", "--no-exclude-same-group"])
    included = cli.retrieval_settings(asked)
    assert included.exclude_same_group is False
    assert included.to_command_line("spoken_digits").endswith(" --no-exclude-same-group")
    assert "same-group" not in RetrievalSettings().to_command_line("spoken_digits")
