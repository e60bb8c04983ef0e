"""The admin's dashboard: the last 30 days of sign-ins by method, refusals by reason, throttled
attempts and deprovisionings, per day, from the audit trail; and the sign-ins open now. Charts are
SVG made here (no script, nothing fetched: within the content security policy)."""

from collections import Counter
from datetime import timedelta
from html import escape

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import AuditEvent, AuthSession

DAYS = 30
COLOURS = ("#3b5bdb", "#2f9e44", "#e8590c", "#ae3ec9", "#1098ad", "#f08c00", "#c2255c", "#5c940d")


def _days(now):
    today = timezone.localdate(now)
    return [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]


def _per_day(kind, key, since, organization_id):
    """{(day, label): count} of one audit kind, labelled by `key` (a details field or reason)."""
    events = AuditEvent.objects.filter(kind=kind, created_at__gte=since)
    if organization_id:
        events = events.filter(user__organization_id=organization_id)
    rows = (
        events.annotate(day=TruncDate("created_at"))
        .values("day", key)
        .annotate(n=Count("id"))
        .values_list("day", key, "n")
    )
    return Counter({(day, label or "—"): n for day, label, n in rows})


def figures(organization_id=""):
    now = timezone.now()
    days = _days(now)
    since = now - timedelta(days=DAYS)
    charts = [
        (
            "Sign-ins per day, by method",
            _per_day(AuditEvent.Kind.SIGN_IN_SUCCEEDED, "details__method", since, organization_id),
        ),
        (
            "Refused sign-ins per day, by reason",
            _per_day(AuditEvent.Kind.SIGN_IN_FAILED, "reason", since, organization_id),
        ),
        ("Throttled attempts per day, by limit", _per_day(AuditEvent.Kind.THROTTLED, "reason", since, organization_id)),
        (
            "Deprovisionings per day, by trigger",
            _per_day(AuditEvent.Kind.USER_DEPROVISIONED, "reason", since, organization_id),
        ),
    ]
    open_now = AuthSession.objects.filter(revoked_at__isnull=True)
    if organization_id:
        open_now = open_now.filter(organization_id=organization_id)
    return {
        "charts": [(title, stacked_bars(days, counts), sum(counts.values())) for title, counts in charts],
        "open_sign_ins": open_now.count(),
        "days": DAYS,
    }


def stacked_bars(days, counts, width=600, height=150):
    """An SVG stacked bar chart: a bar per day, a colour per label, a legend under it."""
    labels = sorted({label for _day, label in counts})
    colour = {label: COLOURS[i % len(COLOURS)] for i, label in enumerate(labels)}
    totals = [sum(counts[(day, label)] for label in labels) for day in days]
    top = max(totals or [0]) or 1
    bar = width / len(days)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 24 + 16 * len(labels)}" '
        f'role="img" width="100%">',
        f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#ccc"/>',
        f'<text x="0" y="12" font-size="11" fill="#555">{top}</text>',
    ]
    for i, day in enumerate(days):
        y = height
        for label in labels:
            n = counts[(day, label)]
            if not n:
                continue
            h = n / top * (height - 16)
            y -= h
            parts.append(
                f'<rect x="{i * bar + 1:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                f'fill="{colour[label]}"><title>{day:%b %d} {escape(label)}: {n}</title></rect>'
            )
    parts.append(
        f'<text x="0" y="{height + 14}" font-size="11" fill="#555">{days[0]:%b %d}</text>'
        f'<text x="{width}" y="{height + 14}" font-size="11" fill="#555" text-anchor="end">{days[-1]:%b %d}</text>'
    )
    for i, label in enumerate(labels):
        y = height + 28 + 16 * i
        total = sum(n for (_day, lab), n in counts.items() if lab == label)
        parts.append(
            f'<rect x="0" y="{y - 9}" width="10" height="10" fill="{colour[label]}"/>'
            f'<text x="16" y="{y}" font-size="11" fill="#333">{escape(label)} ({total})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
