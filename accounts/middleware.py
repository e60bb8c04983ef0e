"""Sign a browser out when its sign-in (AuthSession) has been ended elsewhere."""

from django.contrib import auth

from accounts.models import AuthSession
from accounts.sessions import BROWSER_SESSION_KEY


class BrowserSessionRevocationMiddleware:
    """One indexed lookup per request of a signed-in browser; nothing for anonymous or token requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session_id = request.session.get(BROWSER_SESSION_KEY) if hasattr(request, "session") else None
        if session_id and not AuthSession.objects.filter(id=session_id, revoked_at__isnull=True).exists():
            auth.logout(request)
        return self.get_response(request)
