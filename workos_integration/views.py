"""The webhook endpoint: a signed WorkOS event in, through the one pipeline."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.errors import GatehouseError
from workos_integration import events


@csrf_exempt
@require_POST
def webhook(request):
    try:
        event = events.verify(request.body, request.headers.get("WorkOS-Signature", ""))
        outcome = events.process(event)
    except GatehouseError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    return JsonResponse({"status": outcome})
