"""Exceptions raised by audiodiag. Every message names the file, the value, what was expected and the fix."""


class AudioDiagError(Exception):
    """Base class for all errors audiodiag raises on purpose."""


class InvalidAudioError(AudioDiagError, ValueError):
    """A file could not be used as an audio clip."""


class UnsafeArchiveError(AudioDiagError, ValueError):
    """A zip archive was refused: unsafe member paths, too many files or too large when unpacked."""
