"""Workspace addresses of moderation: none takes more than the organisation."""

ARGS = {
    "moderation_comments": lambda w: {},
    "moderation_decide_comments": lambda w: {},
    "moderation_reported": lambda w: {},
    "moderation_reports": lambda w: {},
    "moderation_decide_reports": lambda w: {},
}
