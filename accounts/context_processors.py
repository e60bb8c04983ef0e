"""What every page shows about this browser's sign-in: a banner when support staff are signed in as the person."""


def impersonation(request):
    impersonator = getattr(request, "signin_impersonator", None)
    return {"impersonator": impersonator} if impersonator else {}
