"""The consent texts supporters agree to, versioned per kind and language.

A text never changes once published: new wording is a new version here, and
the log (`ConsentLog`) points at the stored copy of the exact text each
supporter was shown. The forms show `current(kind, language)`; the stored row
is made on first use and compared with this file, so a text edited in place
without a new version stops the form with an error instead of logging a
consent to words nobody saw.
"""

from django.conf import settings

SIGNING = "signing"
UPDATES = "updates"
SHOW_NAME = "show_name"
CASE_UPDATES = "case_updates"

TEXTS = {
    (SIGNING, "2026-11"): {
        "en": (
            "By signing, I agree that my name, e-mail address, country and postcode are kept "
            "to count my signature and deliver it to the petition's target, and made "
            "anonymous some months after the petition closes. I can withdraw my signature "
            "or erase my data at any time from the link in every e-mail."
        ),
        "es": (
            "Al firmar, acepto que se guarden mi nombre, mi dirección de correo, mi país y "
            "mi código postal para contar mi firma y entregarla al destinatario de la "
            "petición, y que se anonimicen unos meses después del cierre de la petición. "
            "Puedo retirar mi firma o borrar mis datos en cualquier momento con el enlace "
            "que llevan todos los correos."
        ),
    },
    (UPDATES, "2026-11"): {
        "en": "Send me updates about this petition and related causes.",
        "es": "Quiero recibir novedades sobre esta petición y causas relacionadas.",
    },
    (SHOW_NAME, "2026-11"): {
        "en": (
            "Unless I choose “Anonymous”, my name as I choose it here is shown on the public "
            "list of signers and in the signatures delivered to the target."
        ),
        "es": (
            "Salvo que elija «Anónimo», mi nombre tal como lo elijo aquí aparece en la lista "
            "pública de firmantes y en las firmas entregadas al destinatario."
        ),
    },
    (CASE_UPDATES, "2026-11"): {
        "en": "Send me updates on this case.",
        "es": "Quiero recibir novedades sobre este caso.",
    },
}

# The version each form shows now. Publishing new wording: add it to TEXTS, point here.
CURRENT = {SIGNING: "2026-11", UPDATES: "2026-11", SHOW_NAME: "2026-11", CASE_UPDATES: "2026-11"}


def text_language(kind: str, language: str) -> str:
    """The language the text of `kind` is shown in: the visitor's, else the default."""
    texts = TEXTS[(kind, CURRENT[kind])]
    return language if language in texts else settings.LANGUAGE_CODE


def current(kind: str, language: str) -> str:
    return TEXTS[(kind, CURRENT[kind])][text_language(kind, language)]
