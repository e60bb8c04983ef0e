"""Helpers that walk the emulator's hosted pages the way a browser would, over HTTP."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import requests

_INPUT = re.compile(r"<input type='hidden' name='([^']+)' value='([^']*)'>")


def hidden_fields(html):
    return {name: unescape(value) for name, value in _INPUT.findall(html)}


def follow_hosted_sign_in(authorization_url, *, email, password=None):
    """GET the AuthKit/SSO URL, submit the hosted form, return the query of the redirect back."""
    page = requests.get(authorization_url, allow_redirects=False, timeout=5)
    if page.status_code == 302:
        return _query(page.headers["Location"])
    assert page.status_code == 200, page.text
    base = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    forms = page.text.split("<form ")[1:]
    if "Sign in as " in page.text:  # the SSO profile chooser: one form per profile
        form = next(f for f in forms if f"Sign in as {email}" in f)
        fields = hidden_fields(form)
    elif password is None and f"Continue as {email}<" in page.text:  # a user without a password
        fields = hidden_fields(next(f for f in forms if f"Continue as {email}<" in f))
    else:
        form = page.text.split("<form ")[1]
        fields = {**hidden_fields(form), "email": email, "password": password or ""}
    done = requests.post(f"{base}/_emulator/sign-in", data=fields, allow_redirects=False, timeout=5)
    assert done.status_code == 302, done.text
    return _query(done.headers["Location"])


def _query(location):
    parsed = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    query["_location"] = location
    return query
