"""In-memory WorkOS state: users, organizations, connections, sessions, codes, OAuth apps.

Objects are kept as plain dicts in their wire shape (plus private keys starting with `_`), so that
serialising them is a matter of dropping the private keys.
"""

import bisect
import datetime as dt
import json
import os
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_last_id = [0]
_id_lock = threading.Lock()


# A WorkOS object as the emulator keeps it: its JSON fields, plus private ones starting with `_`.
Record = dict[str, Any]


def new_id(prefix: str) -> str:
    """A WorkOS-style id: prefix + '_' + a ULID (48-bit milliseconds + 80 random bits). Ids are
    monotonic within the process (a later id sorts after an earlier one, even in the same
    millisecond), so ordering by id is ordering by creation, as lists and the Events API need."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    with _id_lock:
        if value <= _last_id[0]:
            value = _last_id[0] + 1
        _last_id[0] = value
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


class Listed(dict):
    """A collection WorkOS lists with cursors: a dict by id that also keeps its ids sorted, so a
    page is found by bisection instead of sorting every record on every request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ids = sorted(self)

    def __setitem__(self, key: str, value: Record) -> None:
        if key not in self:
            bisect.insort(self.ids, key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        del self.ids[bisect.bisect_left(self.ids, key)]

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            value = super().__getitem__(key)
            del self[key]
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def clear(self) -> None:
        super().clear()
        self.ids = []

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def popitem(self) -> tuple[str, Record]:
        raise TypeError("Listed collections do not support popitem")


LISTED = (
    "users",
    "organizations",
    "memberships",
    "connections",
    "sessions",
    "invitations",
    "directories",
    "directory_users",
    "directory_groups",
    "api_keys",
)


def public(obj: Record) -> Record:
    """What WorkOS shows of a record: no `_` fields; a user's `name` derived from their names."""
    view = {k: v for k, v in obj.items() if not k.startswith("_")}
    if obj.get("object") == "user":
        view["name"] = " ".join(filter(None, (obj.get("first_name"), obj.get("last_name")))) or None
    return view


DEFAULT_API_KEY = "sk_test_emulator"
DEFAULT_CLIENT_ID = "client_emulator"


class Store:
    """All emulator state, guarded by one lock (requests are served from several threads)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.reset()

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.clock_offset

    def iso(self, ts: float | None = None) -> str:
        moment = dt.datetime.fromtimestamp(self.now() if ts is None else ts, dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    # -- lifecycle ----------------------------------------------------------------------------
    # Latency rules given at start (python -m workos_emulator --latency): see Control.latency_rule.
    start_latency: tuple[Record, ...] = ()

    def reset(self) -> None:
        with self.lock:
            self.clock_offset = 0.0
            self.api_key = DEFAULT_API_KEY
            self.client_id = DEFAULT_CLIENT_ID
            self.redirect_uris: list[Any] = []  # allowlist for AuthKit and SSO redirects; empty = loopback only
            self.logout_redirect_uris: list[Any] = []
            self.connect_login_uri = ""
            self.auto_login = None  # an email: authorize redirects at once as that user
            self.device_interval = 5  # seconds a CLI waits between device-code polls (WorkOS's)
            self.users = Listed()
            self.organizations = Listed()
            self.memberships = Listed()
            self.connections = Listed()
            self.directories = Listed()
            self.directory_users = Listed()
            self.directory_groups = Listed()
            self.sessions = Listed()
            self.codes: dict[str, Any] = {}
            self.refresh_tokens: dict[str, Any] = {}
            self.sso_tokens: dict[str, Any] = {}
            self.pending_tokens: dict[str, Any] = {}
            self.oauth_apps: dict[str, Any] = {}
            self.external_auths: dict[str, Any] = {}
            self.consents: dict[str, Any] = {}
            self.invitations = Listed()
            self.api_keys = Listed()  # organization API keys (the value only as a hash)
            self.roles: dict[str, Any] = {}  # role slug -> its permission slugs (the environment's roles)
            self.sso_logout_tokens: dict[str, Any] = {}
            self.email_verifications: dict[str, Any] = {}
            self.magic_auths: dict[str, Any] = {}
            self.password_resets: dict[str, Any] = {}
            self.auth_factors: dict[str, Any] = {}
            self.challenges: dict[str, Any] = {}
            self.device_codes: dict[str, Any] = {}
            self.outbox: list[Any] = []
            self.password_reset_url = ""  # the application's reset page; default: the emulator's
            self.portal_links: dict[str, Any] = {}
            self.audit_log_events: list[Any] = []  # what applications sent to Audit Logs
            self.audit_log_keys: dict[
                str, Any
            ] = {}  # idempotency keys already stored  # Admin Portal links: token -> organization, intent
            self.impersonation: Record | None = None  # the next AuthKit sign-in's, set by /_emulator/impersonate
            self.invitation_url = ""  # the application's page an invitation links to; default: the emulator's
            self.login_uri = ""  # the application's sign-in endpoint (where impersonation sends staff)
            self.webhook_endpoints: dict[str, Any] = {}
            self.events: list[Any] = []
            self.deliveries: list[Any] = []
            self.requests: list[Any] = []
            self.injections: list[Any] = []
            self.latency: list[Record] = list(self.start_latency)  # what --latency gave survives a reset

    # -- persistence: everything but the request log, fault injections and delivery log ---------
    SAVED = (
        "clock_offset",
        "api_key",
        "client_id",
        "redirect_uris",
        "logout_redirect_uris",
        "connect_login_uri",
        "auto_login",
        "users",
        "organizations",
        "memberships",
        "connections",
        "sessions",
        "codes",
        "refresh_tokens",
        "sso_tokens",
        "directories",
        "directory_users",
        "directory_groups",
        "pending_tokens",
        "oauth_apps",
        "external_auths",
        "consents",
        "invitations",
        "api_keys",
        "roles",
        "sso_logout_tokens",
        "email_verifications",
        "magic_auths",
        "password_resets",
        "auth_factors",
        "challenges",
        "device_codes",
        "outbox",
        "password_reset_url",
        "invitation_url",
        "login_uri",
        "webhook_endpoints",
        "events",
    )
    STATE_VERSION = 1

    def export(self) -> Record:
        """The whole state as one JSON-ready document (private fields included: it is a backup)."""
        with self.lock:
            state = {name: getattr(self, name) for name in self.SAVED}
            return json.loads(json.dumps({"version": self.STATE_VERSION, **state}))

    def load(self, document: Record) -> None:
        """Replace the state with an exported document. Raises ValueError if it is not one."""
        if not isinstance(document, dict) or document.get("version") != self.STATE_VERSION:
            raise ValueError(f"not an emulator state document (version {self.STATE_VERSION} expected)")
        fresh = Store()
        for name in self.SAVED:
            if name in document:
                value = document[name]
                default = getattr(fresh, name)
                kind = (
                    (int, float) if isinstance(default, float) else dict if isinstance(default, dict) else type(default)
                )
                if (
                    default is not None
                    and value is not None
                    and (not isinstance(value, kind) or isinstance(value, bool))
                ):
                    raise ValueError(f"{name} has the wrong type")
                setattr(fresh, name, Listed(value) if name in LISTED else value)
        with self.lock:
            self.reset()
            for name in self.SAVED:
                setattr(self, name, getattr(fresh, name))

    # -- seeding ------------------------------------------------------------------------------
    def seed(self, data: Record) -> Record:
        """Merge a seed document (see workos_emulator/demo.yaml for every key)."""
        with self.lock:
            settings = data.get("settings") or {}
            self.api_key = settings.get("api_key", self.api_key)
            self.client_id = settings.get("client_id", self.client_id)
            self.redirect_uris = list(dict.fromkeys(self.redirect_uris + list(settings.get("redirect_uris", []))))
            self.logout_redirect_uris = list(
                dict.fromkeys(self.logout_redirect_uris + list(settings.get("logout_redirect_uris", [])))
            )
            self.connect_login_uri = settings.get("connect_login_uri", self.connect_login_uri)
            self.auto_login = settings.get("auto_login", self.auto_login)
            self.password_reset_url = settings.get("password_reset_url", self.password_reset_url)
            self.invitation_url = settings.get("invitation_url", self.invitation_url)
            self.login_uri = settings.get("login_uri", self.login_uri)
            self.device_interval = int(settings.get("device_interval", self.device_interval))
            created: dict[str, list[Record]] = {
                "organizations": [],
                "users": [],
                "connections": [],
                "oauth_applications": [],
            }
            for slug, permissions in (data.get("roles") or {}).items():
                self.roles[str(slug)] = [str(p) for p in permissions or []]
            for org in data.get("organizations", []):
                created["organizations"].append(public(self.add_organization(**org)))
            for user in data.get("users", []):
                created["users"].append(public(self.add_user(**user)))
            for conn in data.get("connections", []):
                created["connections"].append(public(self.add_connection(**conn)))
            created["directories"] = [
                public(self.add_directory(**directory)) for directory in data.get("directories", [])
            ]
            for app in data.get("oauth_applications", []):
                created["oauth_applications"].append(self.add_oauth_app(**app))
            for endpoint in data.get("webhook_endpoints", []):
                self.add_webhook_endpoint(
                    endpoint.get("endpoint_url") or endpoint["url"], endpoint.get("secret"), endpoint.get("events")
                )
            return created

    def add_organization(
        self,
        name: str,
        domains: Sequence[Any] = (),
        id: str | None = None,
        external_id: str | None = None,
        allow_profiles_outside_organization: bool = False,
        mfa_required: bool = False,
        **_ignored: Any,
    ) -> Record:
        """`domains`: names (verified) or {"domain", "state"} dicts, e.g. state "pending".
        `mfa_required`: the organization's authentication policy asks every member for MFA."""
        now = self.iso()
        org_id = id or new_id("org")
        org = {
            "object": "organization",
            "id": org_id,
            "name": name,
            "allow_profiles_outside_organization": bool(allow_profiles_outside_organization),
            "domains": self.domain_objects(org_id, domains),
            "metadata": {},
            "external_id": external_id,
            "created_at": now,
            "updated_at": now,
            "_mfa_required": bool(mfa_required),
        }
        self.organizations[org_id] = org
        return org

    def domain_objects(self, org_id: str, domains: Sequence[Any]) -> list[Record]:
        """Organization domain objects for names (verified) or {"domain", "state"} dicts."""
        now = self.iso()
        return [
            {
                "object": "organization_domain",
                "id": new_id("org_domain"),
                "organization_id": org_id,
                "domain": d["domain"].lower(),
                "state": d.get("state", "verified"),
                "verification_strategy": "manual",
                "created_at": now,
                "updated_at": now,
            }
            for d in (d if isinstance(d, dict) else {"domain": d} for d in domains)
        ]

    def add_user(
        self,
        email: str,
        password: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        email_verified: bool = True,
        id: str | None = None,
        external_id: str | None = None,
        organizations: Sequence[str] = (),
        role: str = "member",
        mfa: bool = False,
        metadata: dict[str, str] | None = None,
        identities: Sequence[Record] = (),
        totp_secret: str | None = None,
        **_ignored: Any,
    ) -> Record:
        now = self.iso()
        user_id = id or new_id("user")
        user = {
            "object": "user",
            "id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "profile_picture_url": None,
            "email": email.lower(),
            "email_verified": email_verified,
            "external_id": external_id,
            "metadata": metadata or {},
            "last_sign_in_at": None,
            "locale": None,
            "created_at": now,
            "updated_at": now,
            "_password": password,
            "_mfa": mfa,
            # OAuth identities: {"provider": "GoogleOAuth", "idp_id": "..."}
            "_identities": [
                {"idp_id": str(i.get("idp_id", "")), "type": "OAuth", "provider": i["provider"]} for i in identities
            ],
        }
        self.users[user_id] = user
        if totp_secret:  # an enrolled authenticator (the seed's `totp_secret`, Base32)
            factor_id = new_id("auth_factor")
            uri = f"otpauth://totp/WorkOS:{user['email']}?secret={totp_secret}&issuer=WorkOS"
            self.auth_factors[factor_id] = {
                "object": "authentication_factor",
                "id": factor_id,
                "type": "totp",
                "user_id": user_id,
                "totp": {"issuer": "WorkOS", "user": user["email"], "secret": totp_secret, "uri": uri, "qr_code": ""},
                "created_at": now,
                "updated_at": now,
            }
        for org_ref in organizations:
            org = self.find_organization(org_ref)
            if org:
                self.add_membership(user_id, org["id"], role)
        return user

    def add_membership(self, user_id: str, organization_id: str, role: str = "member") -> Record:
        now = self.iso()
        membership = {
            "object": "organization_membership",
            "id": new_id("om"),
            "user_id": user_id,
            "organization_id": organization_id,
            "organization_name": self.organizations[organization_id]["name"],
            "status": "active",
            "directory_managed": False,
            "custom_attributes": {},
            "role": {"slug": role},
            "roles": [{"slug": role}],
            "created_at": now,
            "updated_at": now,
        }
        self.memberships[membership["id"]] = membership
        return membership

    def add_connection(
        self,
        name: str,
        organization: str | None = None,
        connection_type: str = "OktaSAML",
        state: str = "active",
        domains: Sequence[Any] = (),
        profiles: Sequence[Record] = (),
        id: str | None = None,
        **_ignored: Any,
    ) -> Record:
        now = self.iso()
        org = self.find_organization(organization) if organization else None
        conn_id = id or new_id("conn")
        if not domains and org:
            domains = [d["domain"] for d in org["domains"]]
        conn = {
            "object": "connection",
            "id": conn_id,
            "organization_id": org["id"] if org else None,
            "connection_type": connection_type,
            "name": name,
            "state": state,
            "status": "linked" if state == "active" else "unlinked",
            "domains": [
                {"object": "connection_domain", "id": new_id("conn_domain"), "domain": d.lower()} for d in domains
            ],
            "created_at": now,
            "updated_at": now,
            "_profiles": [dict(p) for p in profiles],
        }
        self.connections[conn_id] = conn
        return conn

    def add_directory(
        self,
        name: str,
        organization: str,
        id: str | None = None,
        type: str = "okta scim v2.0",
        state: str = "linked",
        domain: str | None = None,
        groups: Sequence[Any] = (),
        users: Sequence[Record] = (),
        **_ignored: Any,
    ) -> Record:
        """A directory of `organization` (id or name), with its groups (names or dicts) and users
        (dicts for add_directory_user; `groups` there are group names)."""
        org = self.find_organization(organization)
        if org is None:
            raise ValueError(f"unknown organization {organization!r}")
        now = self.iso()
        directory = {
            "object": "directory",
            "id": id or new_id("directory"),
            "organization_id": org["id"],
            "external_key": self.token("", 16),
            "type": type,
            "state": state,
            "name": name,
            "domain": domain or (org["domains"][0]["domain"] if org["domains"] else None),
            "created_at": now,
            "updated_at": now,
        }
        if directory["domain"] is None:
            del directory["domain"]
        self.directories[directory["id"]] = directory
        for group in groups:
            self.add_directory_group(directory["id"], **({"name": group} if isinstance(group, str) else group))
        for user in users:
            self.add_directory_user(directory["id"], **user)
        return directory

    def add_directory_group(
        self, directory_id: str, name: str, id: str | None = None, idp_id: str | None = None, **_ignored: Any
    ) -> Record:
        directory = self.directories[directory_id]
        now = self.iso()
        group = {
            "object": "directory_group",
            "id": id or new_id("directory_group"),
            "idp_id": idp_id or self.token("", 12),
            "directory_id": directory_id,
            "organization_id": directory["organization_id"],
            "name": name,
            "raw_attributes": {},
            "created_at": now,
            "updated_at": now,
        }
        self.directory_groups[group["id"]] = group
        return group

    def directory_group_by_ref(self, directory_id: str, ref: str) -> Record | None:
        """A group of the directory by id or name, or None."""
        group = self.directory_groups.get(ref)
        if group is not None and group["directory_id"] == directory_id:
            return group
        return next(
            (g for g in self.directory_groups.values() if g["directory_id"] == directory_id and g["name"] == ref), None
        )

    def add_directory_user(
        self,
        directory_id: str,
        email: str,
        first_name: str | None = None,
        last_name: str | None = None,
        state: str = "active",
        groups: Sequence[str] = (),
        id: str | None = None,
        idp_id: str | None = None,
        role: str | None = None,
        job_title: str | None = None,
        **_ignored: Any,
    ) -> Record:
        directory = self.directories[directory_id]
        now = self.iso()
        user = {
            "object": "directory_user",
            "id": id or new_id("directory_user"),
            "directory_id": directory_id,
            "organization_id": directory["organization_id"],
            "idp_id": idp_id or self.token("", 12),
            "email": email.lower(),
            "first_name": first_name,
            "last_name": last_name,
            "emails": [{"primary": True, "type": "work", "value": email.lower()}],
            "job_title": job_title,
            "username": email.lower(),
            "state": state,
            "raw_attributes": {},
            "custom_attributes": {},
            "role": {"slug": role} if role else None,
            "created_at": now,
            "updated_at": now,
            "_groups": [],
        }
        if user["role"] is None:
            del user["role"]
        for ref in groups:
            group = self.directory_group_by_ref(directory_id, ref) or self.add_directory_group(directory_id, ref)
            user["_groups"].append(group["id"])
        self.directory_users[user["id"]] = user
        return user

    def directory_user_view(self, user: Record) -> Record:
        """A directory user as WorkOS shows it: with its groups."""
        return {
            **public(user),
            "groups": [public(self.directory_groups[g]) for g in user["_groups"] if g in self.directory_groups],
        }

    def delete_directory(self, directory_id: str) -> None:
        """The directory with its users and groups."""
        directory = self.directories.pop(directory_id)
        for table in (self.directory_users, self.directory_groups):
            for key in [k for k, v in table.items() if v["directory_id"] == directory_id]:
                del table[key]
        return directory

    def add_oauth_app(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uris: Sequence[str] = (),
        name: str = "OAuth client",
        **_ignored: Any,
    ) -> Record:
        app: Record = {
            "client_id": client_id or new_id("client"),
            "client_secret": client_secret,  # None: a public client that must use PKCE
            "redirect_uris": list(redirect_uris),
            "name": name,
        }
        self.oauth_apps[app["client_id"]] = app
        return dict(app)

    def add_webhook_endpoint(self, url: str, secret: str | None = None, events: list[str] | None = None) -> Record:
        now = self.iso()
        endpoint: Record = {
            "object": "webhook_endpoint",
            "id": new_id("we"),
            "endpoint_url": url,
            "secret": secret or self.token("whsec_", 24),
            "status": "enabled",
            "events": list(events or ["*"]),
            "created_at": now,
            "updated_at": now,
        }
        self.webhook_endpoints[endpoint["id"]] = endpoint
        return endpoint

    # -- deletions: cascade the way WorkOS does, so nothing left behind can break a later call --
    def delete_user(self, user_id: str) -> Record | None:
        """The user, their memberships, sessions (and those sessions' refresh tokens), pending
        authentications, codes and invitations they accepted."""
        user = self.users.pop(user_id)
        for om_id in [k for k, m in self.memberships.items() if m["user_id"] == user_id]:
            del self.memberships[om_id]
        self._forget_sessions({k for k, x in self.sessions.items() if x["user_id"] == user_id})
        for factor_id in [k for k, f in self.auth_factors.items() if f["user_id"] == user_id]:
            del self.auth_factors[factor_id]
        for table in (
            self.pending_tokens,
            self.codes,
            self.email_verifications,
            self.magic_auths,
            self.password_resets,
        ):
            for key in [k for k, v in table.items() if v.get("user_id") == user_id]:
                del table[key]
        return user

    def delete_organization(self, org_id: str) -> Record | None:
        """The organization, its domains (with it), memberships, connections and invitations;
        sessions that were in it lose their organization."""
        org = self.organizations.pop(org_id)
        for invitation_id in [k for k, i in self.invitations.items() if i["organization_id"] == org_id]:
            del self.invitations[invitation_id]
        for om_id in [k for k, m in self.memberships.items() if m["organization_id"] == org_id]:
            del self.memberships[om_id]
        for conn_id in [k for k, c in self.connections.items() if c["organization_id"] == org_id]:
            del self.connections[conn_id]
        for session in self.sessions.values():
            if session.get("organization_id") == org_id:
                session["organization_id"] = None
        return org

    def _forget_sessions(self, session_ids: Iterable[str]) -> None:
        for session_id in session_ids:
            self.sessions.pop(session_id, None)
        for token in [t for t, r in self.refresh_tokens.items() if r["session_id"] in session_ids]:
            del self.refresh_tokens[token]

    # -- lookups ------------------------------------------------------------------------------
    def find_organization(self, ref: str) -> Record | None:
        if ref in self.organizations:
            return self.organizations[ref]
        for org in self.organizations.values():
            if org["name"] == ref or org.get("external_id") == ref:
                return org
        return None

    def user_by_email(self, email: str | None) -> Record | None:
        email = (email or "").lower()
        return next((u for u in self.users.values() if u["email"] == email), None)

    def memberships_of(self, user_id: str) -> list[Record]:
        return [m for m in self.memberships.values() if m["user_id"] == user_id and m["status"] == "active"]

    def organization_for_domain(self, domain: str) -> Record | None:
        domain = domain.lower()
        for org in self.organizations.values():
            if any(d["domain"] == domain and d["state"] == "verified" for d in org["domains"]):
                return org
        return None

    def token(self, prefix: str, length: int = 24) -> str:
        return f"{prefix}{secrets.token_urlsafe(length)}"
