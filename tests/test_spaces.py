"""spaces: the suggested pad-or-trim length has known answers."""
from __future__ import annotations

from audiodiag.represent import spaces


def test_default_pad_length_is_the_median_duration():
    assert spaces.default_pad_length_s([1.0, 2.0, 4.0]) == 2.0
    assert spaces.default_pad_length_s([0.5, 1.0]) == 0.75  # an even count: the mean of the middle two


def test_default_pad_length_is_rounded_to_hundredths():
    assert spaces.default_pad_length_s([0.3333, 0.3333, 2.0]) == 0.33


def test_default_pad_length_without_clips_is_one_second():
    assert spaces.default_pad_length_s([]) == spaces.NO_CLIPS_PAD_LENGTH_S == 1.0
