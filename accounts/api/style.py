"""The two wire styles of the sign-in API (`GATEHOUSE_API_STYLE`).

`snake` (the default) is what Gatehouse answers natively: `access_token`, `refresh_token`,
`session_config`, a snake_case user. `camel` is the contract of an existing frontend (seed 003):
`token`, `refreshToken`, `sessionConfig` with its own field names, and a user with `fullName`,
`organizationId` and an upper-case `accessRole`. Answers are built in snake style and, in camel
style, renamed here on the way out; the OpenAPI schema is renamed by the same table
(`postprocess_schema`). Requests are read in both spellings in either style (`snake_keys`).
Errors keep `{code, message, detail}` in both.
"""

import re

from rest_framework.exceptions import ParseError

from accounts.conf import app_settings

# Names that are not the plain camelCase of the snake name: the seed's own words.
RENAMES = {
    "access_token": "token",
    "access": "token",
    "refresh": "refreshToken",
    "absolute_lifetime_hours": "tokenExpiryHours",
    "warning_minutes": "warningTimeMinutes",
    "idle_tracking": "idleTrackingEnabled",
    "sso_silent_renewal": "ssoSilentRenewalEnabled",
    "sso_fallback": "ssoFallbackBehavior",
    "password_silent_renewal": "passwordSilentRenewalEnabled",
    "password_fallback": "passwordFallbackBehavior",
    "silent_renewal": "silentRenewalEnabled",
    "fallback": "fallbackBehavior",
    "role": "accessRole",
}
_CAMEL_WORD = re.compile(r"_([a-z0-9])")
_SNAKE_WORD = re.compile(r"(?<=[a-z0-9])([A-Z])")


def camel():
    return app_settings.GATEHOUSE_API_STYLE == "camel"


def camel_name(name):
    return RENAMES.get(name) or _CAMEL_WORD.sub(lambda m: m.group(1).upper(), name)


def snake_name(name):
    return _SNAKE_WORD.sub(lambda m: "_" + m.group(1).lower(), name)


def camel_user(user):
    """The seed's user: `id` as a string, `fullName`, `organizationId`, `accessRole` in upper case."""
    full_name = f"{user.get('first_name', '')} {user.get('last_name', '')}".strip()
    role = user.get("role")
    return {
        "id": str(user["id"]),
        "email": user["email"],
        "fullName": full_name or user["email"],
        "firstName": user.get("first_name", ""),
        "lastName": user.get("last_name", ""),
        "organizationId": user.get("organization_id"),
        "accessRole": role.upper() if role else None,
        "impersonator": user.get("impersonator"),
    }


def _camel_body(value):
    if isinstance(value, dict):
        return {camel_name(k): camel_user(v) if k == "user" else _camel_body(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_body(v) for v in value]
    return value


def present(body):
    """An answer's body in the style in force."""
    return _camel_body(body) if camel() else body


def present_user(user):
    """A user payload (UserSerializer's shape) in the style in force."""
    return camel_user(user) if camel() else user


def snake_keys(data):
    """A request's top-level fields with camelCase names read as their snake_case twins
    (`organizationId` -> `organization_id`, `refreshToken` -> `refresh_token`). Giving both
    spellings of one field with different values is the client's mistake: ValueError names them."""
    if not isinstance(data, dict) or not any(_SNAKE_WORD.search(k) for k in data if isinstance(k, str)):
        return data
    out, given = {}, {}
    for key, value in data.items():
        name = snake_name(key) if isinstance(key, str) else key
        if name in out and out[name] != value:
            raise ValueError(f"{given[name]} and {key} name the same field: send one of them.")
        out[name], given[name] = value, key
    return out


def query(request):
    """A request's query parameters read in both spellings (`?organizationId=` or `?organization_id=`)."""
    try:
        return snake_keys(request.query_params.dict())
    except ValueError as exc:
        raise ParseError(str(exc)) from None


# The schema components that carry renamed answers (requests, read in both spellings, are
# documented in the style in force too).
_ANSWERS = {
    "TokenPairResponse",
    "SimplePair",
    "SessionConfig",
    "Enrollment",
    "DeviceStart",
    "AuthorizeResponse",
    "RecoveryCodes",
    "RecoveryCodesLeft",
    "APIKey",
    "NewAPIKey",
    "KeyInUse",
}


def _camel_component(schema):
    schema = dict(schema)
    if "properties" in schema:
        schema["properties"] = {camel_name(k): v for k, v in schema["properties"].items()}
    if "required" in schema:
        schema["required"] = [camel_name(k) for k in schema["required"]]
    return schema


_CAMEL_USER = {
    "type": "object",
    "description": "The signed-in person (seed 003's compact user), with the organization and role of this sign-in.",
    "properties": {
        "id": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "fullName": {"type": "string", "description": "First and last name (the email when there is none)."},
        "firstName": {"type": "string"},
        "lastName": {"type": "string"},
        "organizationId": {"type": ["string", "null"], "description": "The WorkOS organization of this sign-in."},
        "accessRole": {
            "type": ["string", "null"],
            "description": "The WorkOS role slug in that organization, in upper case (`ADMIN`).",
        },
        "impersonator": {
            "type": ["object", "null"],
            "description": "`{email, reason}` when support staff signed in as this person, else null.",
        },
    },
    "required": ["id", "email", "fullName", "organizationId", "accessRole"],
}


def postprocess_schema(result, generator, request, public):
    """drf-spectacular hook: in camel style, the answers' components carry the camel names."""
    if not camel():
        return result
    components = result.get("components", {}).get("schemas", {})
    for name in list(components):
        if name in _ANSWERS or name.endswith("Request"):
            components[name] = _camel_component(components[name])
    if "User" in components:
        components["User"] = _CAMEL_USER
    return result
