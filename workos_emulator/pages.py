"""The emulator's hosted pages: AuthKit sign-in, SSO profile chooser, Connect consent."""

from html import escape

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;background:#eef0f5;margin:0;color:#1d2330}
.box{max-width:26rem;margin:3rem auto;background:#fff;border-radius:10px;padding:1.6rem;border:1px solid #dde1ea}
h1{font-size:1.3rem;margin:0 0 1rem}.tag{font-size:.75rem;color:#6b7280;text-transform:uppercase;letter-spacing:.08em}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}input[type=email],input[type=password]{width:100%;padding:.5rem;border:1px solid #cfd5e0;border-radius:6px;box-sizing:border-box}
button{margin-top:.8rem;padding:.5rem 1rem;border:0;border-radius:6px;background:#6363f1;color:#fff;font-weight:600;cursor:pointer;width:100%}
button.alt{background:#fff;color:#1d2330;border:1px solid #cfd5e0}.err{color:#b42318}fieldset{border:1px solid #dde1ea;border-radius:6px;margin:.6rem 0}
"""


def _page(title, body, width="26rem"):
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title><link rel='icon' href='data:,'><style>{_STYLE}</style></head><body><div class='box' style='max-width:{width}'><div class='tag'>WorkOS emulator</div>{body}</div></body></html>"


def wide(title, body):
    """A page for tables (the directory, for demos)."""
    return _page(title, body, width="64rem")


def _hidden(flow):
    keys = (
        "kind",
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "organization_id",
        "login_hint",
        "invitation_token",
    )
    return (
        "".join(f"<input type='hidden' name='{k}' value='{escape(str(flow.get(k) or ''), quote=True)}'>" for k in keys)
        + "<input type='hidden' name='code_challenge_method' value='S256'>"
    )


def message(title, text):
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>")


def sign_in(flow, users, error=None):
    err = f"<p class='err' role='alert'>{escape(error)}</p>" if error else ""
    hint = escape(flow.get("login_hint") or "", quote=True)
    buttons = "".join(
        f"<form method='post' action='/_emulator/sign-in'>{_hidden(flow)}<input type='hidden' name='user_id' value='{escape(u['id'], quote=True)}'>"
        f"<button class='alt' type='submit'>Continue as {escape(u['email'])}</button></form>"
        for u in users
    )
    return _page(
        "Sign in",
        f"<h1>Sign in</h1>{err}<form method='post' action='/_emulator/sign-in'>{_hidden(flow)}"
        f"<label for='email'>Email</label><input id='email' type='email' name='email' value='{hint}' autocomplete='username' required>"
        f"<label for='password'>Password</label><input id='password' type='password' name='password' autocomplete='current-password' required>"
        f"<button type='submit'>Sign in</button></form>"
        + (f"<p class='tag' style='margin-top:1.2rem'>Seeded users</p>{buttons}" if users else ""),
    )


def sso_chooser(flow, conn, profiles):
    if not profiles:
        return message("No profiles", f"The connection {conn['name']} has no seeded profiles to sign in with.")
    forms = "".join(
        f"<form method='post' action='/_emulator/sign-in'>{_hidden(flow)}"
        f"<input type='hidden' name='connection' value='{escape(conn['id'], quote=True)}'><input type='hidden' name='profile' value='{i}'>"
        f"<button class='alt' type='submit'>Sign in as {escape(p['email'])}</button></form>"
        for i, p in enumerate(profiles)
    )
    return _page(
        "Single sign-on",
        f"<h1>{escape(conn['name'])}</h1><p>Identity provider: {escape(conn['connection_type'])}</p>{forms}",
    )


def consent(consent_id, app, options, flat_choices):
    fields = []
    for option in options:
        radios = []
        for index, (group, choice) in enumerate(flat_choices(option)):
            label = f"{group}: {choice['label']}" if group else choice["label"]
            checked = " checked" if index == 0 else ""
            radios.append(
                f"<label style='font-weight:400'><input type='radio' name='{escape(option['claim'], quote=True)}' value='{escape(choice['value'], quote=True)}'{checked}> {escape(label)}</label>"
            )
        fields.append(f"<fieldset><legend>{escape(option['label'])}</legend>{''.join(radios)}</fieldset>")
    return _page(
        "Authorize",
        f"<h1>{escape(app['name'])} wants to access your account</h1>"
        f"<form method='post' action='/oauth2/consent'><input type='hidden' name='consent_id' value='{escape(consent_id, quote=True)}'>"
        f"{''.join(fields)}<button type='submit' name='decision' value='allow'>Allow</button>"
        f"<button class='alt' type='submit' name='decision' value='deny'>Deny</button></form>",
    )


def invitation(invitation, organization_name):
    where = f" to join {escape(organization_name)}" if organization_name else ""
    if invitation["state"] != "pending":
        return message("Invitation", f"This invitation is {invitation['state']}.")
    return _page(
        "Invitation",
        f"<h1>You are invited{where}</h1><p>The invitation is for {escape(invitation['email'])}.</p>"
        f"<form method='post' action='/invite'><input type='hidden' name='invitation_token' value='{escape(invitation['token'], quote=True)}'>"
        f"<button type='submit'>Accept invitation</button></form>",
    )


def outbox(mails):
    """Every email WorkOS would have sent, newest first."""
    if not mails:
        return _page(
            "Outbox", "<h1>Outbox</h1><p>No email sent yet. Codes and links WorkOS would email appear here.</p>"
        )
    rows = "".join(
        f"<tr><td>{escape(m['sent_at'][11:19])}</td><td>{escape(m['to'])}</td><td>{escape(m['subject'])}</td><td>"
        + (f"<code style='font-size:1.2rem'>{escape(m['code'])}</code>" if m.get("code") else "")
        + (f"<a href='{escape(m['link'], quote=True)}'>open link</a>" if m.get("link") else "")
        + "</td></tr>"
        for m in mails
    )
    return _page(
        "Outbox",
        f"<h1>Outbox</h1><table style='width:100%;font-size:.9rem'><tr><th>Time</th><th>To</th><th>Subject</th><th></th></tr>{rows}</table>",
    )


def device(user_code, users, error=None):
    """The device verification page: enter the code shown on the device, then sign in."""
    err = f"<p class='err' role='alert'>{escape(error)}</p>" if error else ""
    if not user_code:
        return _page(
            "Device sign-in",
            f"<h1>Sign in a device</h1>{err}<form method='get' action='/device'><label for='user_code'>Code shown on your device</label>"
            "<input id='user_code' type='text' name='user_code' inputmode='text' autocomplete='off' required style='width:100%;padding:.5rem'>"
            "<button type='submit'>Continue</button></form>",
        )
    code = escape(user_code, quote=True)
    buttons = "".join(
        f"<form method='post' action='/device'><input type='hidden' name='user_code' value='{code}'><input type='hidden' name='user_id' value='{escape(u['id'], quote=True)}'>"
        f"<button class='alt' type='submit'>Continue as {escape(u['email'])}</button></form>"
        for u in users
    )
    return _page(
        "Device sign-in",
        f"<h1>Sign in device {escape(user_code)}</h1>{err}<form method='post' action='/device'><input type='hidden' name='user_code' value='{code}'>"
        "<label for='email'>Email</label><input id='email' type='email' name='email' autocomplete='username' required>"
        "<label for='password'>Password</label><input id='password' type='password' name='password' autocomplete='current-password' required>"
        "<button type='submit'>Sign in</button></form>"
        + (f"<p class='tag' style='margin-top:1.2rem'>Seeded users</p>{buttons}" if users else "")
        + f"<form method='post' action='/device'><input type='hidden' name='user_code' value='{code}'><button class='alt' type='submit' name='decision' value='deny'>Deny</button></form>",
    )


def impersonate(emails, app):
    options = "".join(f"<option value='{escape(e, quote=True)}'>{escape(e)}</option>" for e in emails)
    return _page(
        "Impersonate a user",
        "<h1>Impersonate a user</h1><p>As WorkOS's dashboard does for support staff: the application's next "
        "AuthKit sign-in signs in as this user, with you named on the session.</p>"
        "<form method='post'><label for='email'>User</label><select id='email' name='email'>" + options + "</select>"
        "<label for='impersonator'>Your email (support staff)</label>"
        "<input id='impersonator' type='email' name='impersonator' required>"
        "<label for='reason'>Reason</label><input id='reason' name='reason' required>"
        "<label for='app'>The application's sign-in page</label>"
        f"<input id='app' name='app' value='{escape(app, quote=True)}'>"
        "<button type='submit'>Impersonate</button></form>",
    )


def portal(token, org, intent):
    hidden = f"<input type='hidden' name='token' value='{escape(token, quote=True)}'>"
    if intent == "domain_verification":
        form = (
            f"<form method='post'>{hidden}<label for='domain'>Domain to verify</label>"
            "<input id='domain' name='domain' required placeholder='example.com'>"
            "<button type='submit'>Verify domain</button></form>"
        )
    elif intent == "sso":
        form = (
            f"<form method='post'>{hidden}<label for='name'>Connection name</label>"
            f"<input id='name' name='name' value='{escape(org['name'], quote=True)} SAML'>"
            "<button type='submit'>Add SSO connection</button></form>"
        )
    else:
        form = "<p>This emulator's portal has nothing to set up for this intent.</p>"
    return _page(
        "Admin Portal",
        f"<h1>Admin Portal</h1><p>{escape(org['name'])}: {escape(intent.replace('_', ' '))}</p>{form}",
    )
