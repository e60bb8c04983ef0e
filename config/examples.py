"""The example single-page client, served when GATEHOUSE_EXAMPLES_ENABLED is on."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from accounts.signin import oidc


@ensure_csrf_cookie
def spa(request, provider=None):
    if not settings.GATEHOUSE_EXAMPLES_ENABLED:
        raise Http404
    providers = [c for c in (oidc.client_settings("google"), oidc.client_settings("okta")) if c]
    return render(request, "examples/spa.html", {"base": "/examples/spa/", "providers": providers})
