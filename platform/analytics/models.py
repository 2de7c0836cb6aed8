"""Analytics rollups: what dashboards read, never the raw clicks.

``AnalyticsRollup`` holds counters per time bucket (hour and day, UTC) and per **dimension**:
one row per (granularity, bucket, dimension, dimension value, program, affiliate, offer). Every
event (a click, a signup, a conversion, a commission) is counted once in each dimension, under
its value there (``""`` when it has none: a coupon sale has no link), so the rows of any one
dimension sum to the same totals. Two levels of detail:

- **affiliate level** (``affiliate_id`` > 0): the affiliate and the offer (``offer_ref``, e.g.
  ``product:<id>``; empty for none) are columns, so an affiliate's or a merchant's data (the
  offers of their products), and breakdowns by affiliate or offer, are plain filters and
  groupings of these rows. The ``link`` dimension exists at this level only (a link belongs
  to one affiliate and one offer);
- **program level** (``affiliate_id`` = ``ALL_AFFILIATES``, ``offer_ref`` empty): the same
  events summed over affiliates and offers, for the brand-wide dashboard, which then reads a
  few rows per bucket instead of one per affiliate (measured in ``bench/analytics.py``: keying
  them by offer too made the brand's dashboards 2 to 6 times slower and the merchants' barely
  faster).

A dashboard filters on at most one of the row dimensions (link, country, device, browser,
source): rows are per dimension, not per combination of dimensions.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import User
from affiliation.models import Conversion
from core.fields import AmountField

ALL_AFFILIATES = 0  # affiliate_id of the program-level rows, summed over affiliates and offers


class Granularity(models.TextChoices):
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


class Dimension(models.TextChoices):
    ALL = "all", "Everything (no breakdown)"
    LINK = "link", "Link"
    COUNTRY = "country", "Country"
    DEVICE = "device", "Device type"
    BROWSER = "browser", "Browser"
    SOURCE = "source", "Referrer source"


class AnalyticsRollup(models.Model):
    """Counters of one bucket, dimension value, program, affiliate and offer (see the module)."""

    granularity = models.CharField(max_length=4, choices=Granularity.choices)
    bucket_start = models.DateTimeField()
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    dimension_value = models.CharField(max_length=100, blank=True)
    program_id = models.BigIntegerField()
    affiliate_id = models.BigIntegerField()
    offer_ref = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3)  # the program's: amounts of one row share it
    clicks = models.BigIntegerField(default=0)
    unique_clicks = models.BigIntegerField(default=0)
    signups = models.BigIntegerField(default=0)
    conversions = models.BigIntegerField(default=0)
    revenue = AmountField(default=0)  # net of refunds
    commissions = AmountField(default=0)  # net of reversals

    class Meta:
        db_table = "analytics_rollup"
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "granularity",
                    "dimension",
                    "bucket_start",
                    "program_id",
                    "affiliate_id",
                    "offer_ref",
                    "dimension_value",
                ],
                name="analytics_rollup_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["affiliate_id", "granularity", "dimension", "bucket_start"],
                name="analytics_rollup_affiliate",
            ),
            models.Index(
                fields=["offer_ref", "granularity", "dimension", "bucket_start"],
                condition=~Q(offer_ref=""),
                name="analytics_rollup_offer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.granularity} {self.bucket_start:%Y-%m-%dT%H} {self.dimension}={self.dimension_value}"


class ConversionRollupState(models.Model):
    """What one conversion has added to the rollups so far, so that syncing it again adds only
    the difference (a refund since, a replayed task: nothing twice, in any order)."""

    conversion = models.OneToOneField(
        Conversion, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # {"conversions": 1, "revenue": "49.90", "commissions": {"<beneficiary id>": "9.98", ...}}
    applied = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rollup state of conversion {self.conversion_id}"


class SignupAttribution(models.Model):
    """A user who signed up on the brand with a click cookie: the click → signup step."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="+")
    click_id = models.UUIDField()
    link_id = models.BigIntegerField()
    affiliate_id = models.BigIntegerField()
    program_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"signup of {self.user_id} from click {self.click_id}"


class PageDimension(models.TextChoices):
    ALL = "all", "Everything"
    PATH = "path", "Page"
    SOURCE = "source", "Referrer source"
    DEVICE = "device", "Device type"
    BROWSER = "browser", "Browser"
    COUNTRY = "country", "Country"
    SCREEN = "screen", "Screen size"


class PageRollup(models.Model):
    """First-party page analytics of the brand's own pages, per UTC day and dimension value.

    ``page_views`` counts every view under its own values; ``sessions`` and ``visitors`` count a
    session (a visitor) once a day, under the values of its first view that day: the entry page
    and the source it came from.
    """

    day = models.DateField()
    dimension = models.CharField(max_length=8, choices=PageDimension.choices)
    dimension_value = models.CharField(max_length=200, blank=True)
    page_views = models.BigIntegerField(default=0)
    sessions = models.BigIntegerField(default=0)
    visitors = models.BigIntegerField(default=0)

    class Meta:
        db_table = "analytics_page_rollup"
        constraints = [
            models.UniqueConstraint(fields=["day", "dimension", "dimension_value"], name="analytics_page_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.dimension_value}: {self.page_views}"


class PageVisitorKey(models.Model):
    """A visitor seen on a day: a hash of the IP and user agent with that day's random salt.
    The salt is dropped after two days, so the hash cannot be linked to the IP afterwards."""

    day = models.DateField()
    visitor_hash = models.CharField(max_length=32)

    class Meta:
        db_table = "analytics_page_visitor"
        constraints = [models.UniqueConstraint(fields=["day", "visitor_hash"], name="analytics_visitor_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.visitor_hash}"


class PageSessionKey(models.Model):
    """A session seen on a day: a hash of the visitor hash and the client's session id."""

    day = models.DateField()
    session_hash = models.CharField(max_length=32)

    class Meta:
        db_table = "analytics_page_session"
        constraints = [models.UniqueConstraint(fields=["day", "session_hash"], name="analytics_session_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.session_hash}"
