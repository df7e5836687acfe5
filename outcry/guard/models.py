from django.db import models


class RateCounter(models.Model):
    """How many POSTs one key (a form kind and an IP hash) made in one time window.

    Only used without Redis: `outcry.guard.limits` counts here with one atomic
    upsert, so several app servers sharing the database share the limits.
    """

    key = models.CharField(max_length=120)
    window_start = models.BigIntegerField(help_text="Unix time the window began")
    expires_at = models.BigIntegerField(db_index=True, help_text="Unix time it can be forgotten")
    hits = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="one_counter_per_window")
        ]

    def __str__(self):
        return f"{self.key} @ {self.window_start}: {self.hits}"


class SpentChallenge(models.Model):
    """A robot-check challenge whose solution was accepted: it cannot be used again.

    Only used without Redis (with it, `cache.add` records the same). The unique
    signature makes the second of two posts racing with one solution fail at the
    INSERT; rows are forgotten once the challenge would have expired anyway.
    """

    signature = models.CharField(max_length=128, unique=True)
    expires_at = models.BigIntegerField(db_index=True, help_text="Unix time it can be forgotten")

    def __str__(self):
        return f"{self.signature[:12]}… until {self.expires_at}"
