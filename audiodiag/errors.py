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
