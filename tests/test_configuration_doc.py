"""docs/configuration.md is generated from the apps' defaults and help texts (config/docs.py)."""

from pathlib import Path

from config import docs

ROOT = Path(__file__).resolve().parent.parent


def test_the_configuration_reference_is_current():
    written = ROOT.joinpath("docs", "configuration.md").read_text()
    assert written == docs.render(), "regenerate it: DEBUG=true python -m config.docs > docs/configuration.md"


def test_every_environment_variable_names_a_setting_an_app_owns():
    import importlib

    from config import settings as project

    owned = {name for app in docs.APPS for name in importlib.import_module(f"{app}.conf").DEFAULTS}
    mapped = set(project._FROM_ENVIRONMENT) | set(project._DICTS_FROM_ENVIRONMENT)
    assert sorted(mapped - owned) == []
    listed = {setting.split("[")[0] for _app, setting, *_ in docs.rows()}
    assert listed == owned
