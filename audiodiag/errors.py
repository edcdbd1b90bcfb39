"""Exceptions raised by audiodiag. Every message names the file, the value, what was expected and the fix.

Three kinds, so a caller can tell whose move it is:

- `BadParameterError`: a value the caller passed (a setting, an argument) is not allowed: fix the call.
- `BadDataError`: the data (a file, a manifest, a run folder, a labels table) cannot be used as it is: fix the
  data, or leave that part out.
- `MissingDependencyError`: a package, model file or network resource the step needs is not there: install it.

`AudioDiagError` is the base of all three; an error not yet sorted into a kind is raised as the base.
"""


class AudioDiagError(Exception):
    """Base class for all errors audiodiag raises on purpose."""


class BadParameterError(AudioDiagError, ValueError):
    """A value passed to audiodiag (a setting, an argument) is not allowed."""


class BadDataError(AudioDiagError, ValueError):
    """The data cannot be used as it is."""


class MissingDependencyError(AudioDiagError):
    """A package, model file or network resource the step needs is not available."""


class InvalidAudioError(BadDataError):
    """A file could not be used as an audio clip."""


class UnsafeArchiveError(BadDataError):
    """A zip archive was refused: unsafe member paths, too many files or too large when unpacked."""


class SettingsError(BadParameterError):
    """A setting with a value that cannot be used (audiodiag.settings): not a problem with the data."""


class DataRootError(BadParameterError):
    """A configured data root that is not a folder, or a path that is not inside it (audiodiag.data.dataroot)."""


class ManifestError(BadDataError):
    """A manifest that cannot be read at all: missing, not a supported format, or without a path column."""


class RecordError(BadDataError):
    """One manifest record that cannot be used: `why`, the `value` in question and the `fix` (audiodiag.data.formats);
    the manifest reader turns it into that row's failure, not an error of the whole manifest."""

    def __init__(self, why: str, value, fix: str) -> None:
        super().__init__(why)
        self.why, self.value, self.fix = why, value, fix


class RunFolderError(BadDataError):
    """The folder is not a complete run folder this version can read."""


class ConsistencyError(AudioDiagError):
    """A note's claims contradict each other: a bug in a claim rule, not in the data or the call."""
