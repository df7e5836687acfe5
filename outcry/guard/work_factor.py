"""The proof-of-work factor a campaign asks of its visitors, shared by petitions and
urgent actions: a model field, its bounds and the database check that holds them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Below this a solution costs a robot nothing; above it a cheap phone searches for
# minutes (a surge multiplies it further, and the counter is a 32-bit number).
MIN_MAX_NUMBER = 10
MAX_MAX_NUMBER = 5_000_000


def default_max_number() -> int:
    return settings.ALTCHA_MAX_NUMBER


def max_number_field() -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        _("robot-check work factor"),
        default=default_max_number,
        validators=[MinValueValidator(MIN_MAX_NUMBER), MaxValueValidator(MAX_MAX_NUMBER)],
        help_text=_(
            "How hard visitors' browsers work before a form is sent: the highest number "
            "the robot check may ask them to find. Higher slows robots down and makes "
            "cheap phones wait longer (50,000 takes a phone about a second). It is "
            "multiplied on its own while the campaign sees unusual load."
        ),
    )


def max_number_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(altcha_max_number__gte=MIN_MAX_NUMBER)
        & Q(altcha_max_number__lte=MAX_MAX_NUMBER),
        name=name,
    )
