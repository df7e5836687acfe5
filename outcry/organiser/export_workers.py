"""The child process a large export hands every other chunk of its rows to.

A million signatures take one core about twenty-five seconds to read, decrypt
and write as CSV, most of it Python that one process cannot spread over two
cores. So exports.signature_texts() starts a child and has it write every
other chunk's text while the request's own process writes the rest; their
texts are joined in order there.

The child is spawned, not forked: a web worker (granian's) runs threads and
holds database connections a forked copy would share, and a child of its own
holds neither. It imports nothing of Django's until start() has set it up as
the parent is (its database, whose name differs under test, its encryption
keys and the request's language), so it writes what the parent would. Like
every spawned process it imports the parent's main module again (not a
package's __main__): `outcry` and the bench guard theirs with
`if __name__ == "__main__"`, as any script starting an export must.
"""

_cells = None


def start(
    *,
    database: dict,
    keys: list[str],
    language: str | None,
    petition_id: int,
    confirmed_only: bool,
) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import translation

    from outcry.organiser.exports import SignatureCells

    connection.settings_dict.update(database)
    settings.ENCRYPTION_KEYS = keys
    if language:
        translation.activate(language)
    global _cells
    _cells = SignatureCells(petition_id, confirmed_only=confirmed_only)


def text_between(first: int, last: int) -> str:
    """The CSV text of the signatures numbered first to last."""
    from outcry.organiser.exports import csv_text

    return csv_text(_cells.between(first, last))
