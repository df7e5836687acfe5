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
