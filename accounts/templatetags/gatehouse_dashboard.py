from django import template
from django.utils.safestring import mark_safe

from accounts import dashboard

register = template.Library()


@register.inclusion_tag("admin/gatehouse_dashboard.html", takes_context=True)
def gatehouse_dashboard(context):
    """The dashboard's figures, for the organization the admin's index was asked about (?organization=)."""
    request = context["request"]
    organization_id = request.GET.get("organization", "")[:64]
    figures = dashboard.figures(organization_id)
    charts = [(title, mark_safe(svg), total) for title, svg, total in figures["charts"]]  # noqa: S308 -- built and escaped in accounts.dashboard
    return {**figures, "charts": charts, "organization_id": organization_id}
