from django.core.checks import Error, register

from directory.access import ACTIONS, DEFAULT_ACTIONS
from directory.conf import app_settings


@register()
def deprovisioning_setting(app_configs, **kwargs):
    configured = app_settings.GATEHOUSE_DEPROVISIONING or {}
    if not isinstance(configured, dict):
        return [Error("GATEHOUSE_DEPROVISIONING must be a dict of trigger -> action.", id="directory.E001")]
    problems = []
    for trigger, action in configured.items():
        if trigger not in DEFAULT_ACTIONS:
            problems.append(
                Error(
                    f"GATEHOUSE_DEPROVISIONING names an unknown trigger {trigger!r}.",
                    hint=f"Triggers: {', '.join(DEFAULT_ACTIONS)}.",
                    id="directory.E002",
                )
            )
        elif action not in ACTIONS:
            problems.append(
                Error(
                    f"GATEHOUSE_DEPROVISIONING[{trigger!r}] is {action!r}.",
                    hint=f"Actions: {', '.join(ACTIONS)}.",
                    id="directory.E003",
                )
            )
    return problems
