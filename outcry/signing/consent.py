"""Which consent text a signer agreed to, recorded in every export.

The signing form's consent wording (updates by e-mail, showing the name) is
one text today; change this when the wording changes. Issue 5 will version
the consent texts per language and store the version on each signature, so an
export can tell exactly what each signer was shown.
"""

CONSENT_VERSION = "2026-11"
