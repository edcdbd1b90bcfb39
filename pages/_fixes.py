"""How the app words a note's how-to-fix texts (`audiodiag.fixes`): the controls of these pages, not CLI flags."""
from audiodiag import fixes

APP = "app"
fixes.register(APP, {
    fixes.ADD_GROUPS: "add a group column (speaker, session, source ...) to a labels CSV (path,label,group) or a "
                      "groups.csv beside the class folders; once a labels table is loaded, the sidebar's 'Group "
                      "column' names the column that holds them",
    fixes.USE_GROUPS: "tick 'Keep groups apart (group-aware folds)' on the Compare page",
    fixes.EXCLUDE_SAME_GROUP: "tick 'A query's own group (speaker/source) does not count as a match'",
})


def rendered(value):
    """A note, a decision's findings or a sentence, worded for the app."""
    return fixes.rendered(value, APP)
