"""audiodiag's tests: a package, so shared helpers are imported once as `tests.helpers` (and conftest is never
loaded twice under two module names)."""
