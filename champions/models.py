"""职业健康达人. The review of nominations arrives with this app's issue; the reviewer role is here
already, so the shared scope knows every role of the platform (core.roles)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChampionReviewer(models.Model):
    """达人 review staff of one region: nominations are reviewed level by level, county → city →
    province (国卫办职健函〔2020〕1069号); the level is the region's."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="champion_reviews")
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, verbose_name=_("地区"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="champion_reviewer_unique")]
        verbose_name = _("达人评审人员")
        verbose_name_plural = pgettext_lazy("plural", "达人评审人员")

    def __str__(self) -> str:
        return f"{self.user} @ {self.region}"
