"""Workspace addresses of the user's own account: two-factor authentication."""

ARGS = {
    "organiser_two_factor": lambda w: {},
}
