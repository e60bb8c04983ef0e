// The example SPA: AuthKit sign-in, email + password, emailed codes, the steps a WorkOS sign-in
// may ask for (email verification, MFA, organization), the user, refresh on 401, logout.
import { Gatehouse } from "./api.js";

const base = document.body.dataset.base; // "/examples/spa/"
const callbackUri = new URL(`${base}callback`, location.origin).href;
const api = new Gatehouse();
const $ = (id) => document.getElementById(id);

const MESSAGES = {
  invalid_credentials: "That email and password do not match an account.",
  provisioning_not_allowed: "Your account cannot be created automatically. Ask an administrator to invite you.",
  user_inactive: "Your account is disabled. Contact your administrator.",
  state_already_used: "That sign-in link was already used. Please sign in again.",
  state_expired: "The sign-in took too long. Please sign in again.",
  throttled: "Too many attempts. Wait a minute and try again.",
  state_mismatch: "That sign-in did not start here. Please sign in again.",
  sign_in_cancelled: "The sign-in was cancelled.",
  provider_error: "The sign-in provider could not complete the sign-in. Please try again.",
  session_revoked: "You have been signed out. Please sign in again.",
  refresh_token_reused: "For your safety you have been signed out. Please sign in again.",
  account_not_found: "There is no account for you here yet. Ask an administrator to invite you.",
  email_not_verified: "Your email address is not verified with that provider.",
  workos_unavailable: "The sign-in service is having trouble. Try again in a moment.",
  invalid_one_time_code: "That code is not right. Check it and try again.",
  one_time_code_expired: "That code has expired. Please sign in again.",
  one_time_code_too_many_attempts: "Too many wrong codes. Please sign in again.",
  sign_in_expired: "The sign-in can no longer be finished. Please sign in again.",
  pending_token_expired: "The sign-in took too long. Please sign in again.",
  method_not_allowed: "People from your email domain sign in another way.",
  session_idle_timeout: "You were signed out after a while without activity. Please sign in again.",
  session_expired: "Your sign-in reached its maximum length. Please sign in again.",
};

const ENDS_SIGN_IN = new Set(["one_time_code_expired", "one_time_code_too_many_attempts", "sign_in_expired", "invalid_pending_authentication_token", "invalid_grant"]);

const STEP_TEXT = {
  email_verification_required: (d) => `We sent a code to ${d.email}. Enter it to verify your address.`,
  mfa_enrollment: () => "Your organization requires an authenticator app. Set one up, then enter the code it shows.",
  mfa_challenge: () => "Enter the code from your authenticator app (or, if you lost it, one of your recovery codes).",
  organization_selection_required: () => "Choose the organization to sign in to.",
};

function showError(err) {
  const box = $("error");
  box.textContent = MESSAGES[err.code] || err.message || "Something went wrong.";
  box.dataset.code = err.code || "";
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
}

// --- a sign-in with a step left (403 with detail.pending_token) -----------------------------
let pending = null;

function showStep(detail) {
  pending = detail;
  $("signed-out").hidden = true;
  $("step").hidden = false;
  $("step-text").textContent = STEP_TEXT[detail.step](detail);
  $("step-enroll").hidden = detail.step !== "mfa_enrollment";
  $("totp-qr").hidden = $("totp-key").hidden = true;
  $("step-code-form").hidden = detail.step === "organization_selection_required";
  $("step-code").value = "";
  $("step-code").inputMode = detail.step === "mfa_challenge" ? "text" : "numeric";
  const orgs = $("step-orgs");
  orgs.replaceChildren();
  for (const org of detail.organizations || []) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = org.name || org.id;
    button.addEventListener("click", () => attempt(() => api.step("organization", pending.pending_token, { organization_id: org.id })));
    orgs.append(button);
  }
}

// While a sign-in call runs: say so, and let nothing be clicked twice.
function busy(on) {
  $("progress").hidden = !on;
  for (const button of document.querySelectorAll("main button")) button.disabled = on;
}

// Run a sign-in call: the user on success, the next step, or the error in words.
async function attempt(signIn) {
  clearError();
  busy(true);
  try {
    await signIn();
  } catch (err) {
    busy(false);
    if (err.detail?.pending_token) {
      showStep(err.detail);
    } else {
      showError(err);
      // a wrong code may be tried again; anything else ends the sign-in (start over)
      if (!pending || err.status === 403 || ENDS_SIGN_IN.has(err.code) || err.code.startsWith("pending_token")) {
        pending = null;
        $("step").hidden = true;
        render(null);
      }
    }
    return;
  }
  busy(false);
  pending = null;
  $("step").hidden = true;
  showRecoveryCodes();
  await loadUser();
}

// Shown once, right after the sign-in that set up an authenticator; never kept.
function showRecoveryCodes() {
  const codes = api.recoveryCodes;
  api.recoveryCodes = null;
  $("recovery").hidden = !codes;
  $("recovery-codes").replaceChildren(...(codes || []).map((code) => {
    const item = document.createElement("li");
    item.textContent = code;
    return item;
  }));
}

$("recovery-saved").addEventListener("click", () => { $("recovery").hidden = true; $("recovery-codes").replaceChildren(); });

$("enroll").addEventListener("click", async () => {
  clearError();
  try {
    const factor = await api.enroll(pending.pending_token);
    $("totp-qr").src = factor.qr_code;
    $("totp-key").textContent = `Key: ${factor.secret}`;
    $("totp-qr").hidden = $("totp-key").hidden = false;
  } catch (err) {
    showError(err);
  }
});

$("step-code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const kind = pending.step === "email_verification_required" ? "email-verification" : "mfa";
  const value = $("step-code").value;
  // at an MFA challenge, letters mean a recovery code: the lost authenticator is replaced next
  const body = pending.step === "mfa_challenge" && /[a-z]/i.test(value) ? { recovery_code: value } : { code: value };
  attempt(() => api.step(kind, pending.pending_token, body));
});

$("send-code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  try {
    const { message } = await api.sendCode($("code-email").value);
    $("code-sent").textContent = message;
    $("verify-code-form").hidden = false;
    $("magic-code").focus();
  } catch (err) {
    showError(err);
  }
});

$("verify-code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(() => api.verifyCode($("code-email").value, $("magic-code").value));
});

// --- the session policy: warn before an idle sign-out, keep the server informed ---------------
// The server ends a sign-in idle for `idle_timeout_minutes` (counted from its last refresh) or
// older than `absolute_lifetime_hours`. The page counts the person's activity, refreshes while
// they are active so the server sees it too, and warns `warning_minutes` before the idle end.
let lastActivity = Date.now();
let signedIn = false;

function onActivity() {
  lastActivity = Date.now();
  const config = api.sessionConfig;
  if (signedIn && config?.enabled && !$("idle-warning").hidden) return; // only "Stay signed in" counts now
  if (signedIn && config?.enabled && Date.now() - api.lastServerTouch > (config.idle_timeout_minutes * 60000) / 2) {
    api.refreshTokens().catch(showError);
  }
}

for (const kind of ["pointerdown", "keydown", "scroll", "mousemove"]) {
  document.addEventListener(kind, onActivity, { passive: true });
}

function clock(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

async function endSignIn(code) {
  signedIn = false;
  $("idle-warning").hidden = true;
  try {
    await api.logout();
  } catch {
    api.forget(); // the server may have ended it already
  }
  render(null);
  showError({ code });
}

async function watchSession() {
  const config = api.sessionConfig;
  if (!signedIn || !config?.enabled) return;
  if (config.expires_at && Date.now() >= Date.parse(config.expires_at)) {
    if (config.fallback === "redirect") {
      signedIn = false;
      const { authorization_url, state } = await api.authorizeUrl(callbackUri);
      sessionStorage.setItem(WORKOS_STATE, state);
      location.assign(authorization_url);
    } else {
      await endSignIn("session_expired");
    }
    return;
  }
  if (!config.idle_tracking) return;
  const left = config.idle_timeout_minutes * 60000 - (Date.now() - lastActivity);
  if (left <= 0) {
    await endSignIn("session_idle_timeout");
  } else if (left <= config.warning_minutes * 60000) {
    $("idle-countdown").textContent = clock(left);
    $("idle-warning").hidden = false;
  } else {
    $("idle-warning").hidden = true;
  }
}

setInterval(watchSession, 1000);

// Where the tokens go (the server honours it where it lets clients choose): kept for this tab.
for (const radio of document.querySelectorAll("input[name=delivery]")) {
  radio.checked = radio.value === (sessionStorage.getItem("gatehouse-token-delivery") || "body");
  radio.addEventListener("change", () => sessionStorage.setItem("gatehouse-token-delivery", radio.value));
}

$("stay").addEventListener("click", async () => {
  lastActivity = Date.now();
  $("idle-warning").hidden = true;
  try {
    await api.refreshTokens(); // tells the server, and renews the tokens
  } catch (err) {
    showError(err);
    render(null);
  }
});

function render(user) {
  signedIn = Boolean(user);
  if (signedIn) lastActivity = Date.now();
  $("signed-out").hidden = Boolean(user);
  $("signed-in").hidden = !user;
  if (user) {
    $("user-email").textContent = user.email;
    $("user-name").textContent = [user.first_name, user.last_name].filter(Boolean).join(" ") || "—";
    $("user-org").textContent = user.organization_id || "—";
    $("mode").textContent = api.cookieMode ? "HttpOnly cookies" : "memory (response body)";
    const config = api.sessionConfig;
    $("policy").textContent = !config ? "—" : !config.enabled ? "no limits"
      : `signed out after ${config.idle_timeout_minutes} min idle, at most ${config.absolute_lifetime_hours} h`;
  }
}

// The person's sign-ins (this one and others: other browsers, apps), each with "End".
async function loadSessions() {
  const list = $("sessions");
  let mine;
  try {
    mine = await api.sessions();
  } catch (err) {
    showError(err);
    return;
  }
  list.replaceChildren();
  for (const session of mine) {
    const item = document.createElement("li");
    const where = session.device || session.channel;
    item.textContent = `${where} · ${session.method} · since ${new Date(session.created_at).toLocaleString()}${session.current ? " (this one)" : ""} `;
    const end = document.createElement("button");
    end.type = "button";
    end.className = "secondary flush";
    end.textContent = "End";
    end.addEventListener("click", async () => {
      clearError();
      try {
        await api.endSession(session.id);
      } catch (err) {
        showError(err);
        return;
      }
      if (session.current) {
        api.forget();
        render(null);
      } else {
        loadSessions();
      }
    });
    item.append(end);
    list.append(item);
  }
}

// The other organizations of the person, each a button that moves this sign-in there.
async function loadOrganizations() {
  const list = $("organizations");
  let mine = [];
  try {
    mine = await api.organizations();
  } catch (err) {
    showError(err);
  }
  list.replaceChildren();
  $("organizations-box").hidden = mine.length < 2;
  for (const org of mine.filter((o) => !o.current)) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = `Switch to ${org.name || org.id}`;
    button.addEventListener("click", () => switchTo(org));
    list.append(button);
  }
}

// A refused switch leaves the sign-in as it was; an organization asking for a step this sign-in
// did not pass is signed in to instead: through its SSO (step "sso"), else through AuthKit, where
// the person chooses it and is asked for the step (MFA).
async function switchTo(org) {
  clearError();
  busy(true);
  try {
    await api.switchOrganization(org.id);
  } catch (err) {
    busy(false);
    showError(err);
    if (err.code === "organization_step_required") {
      const again = document.createElement("button");
      again.type = "button";
      again.dataset.testid = "sign-in-to-organization";
      again.textContent = `Sign in to ${org.name || org.id}`;
      again.addEventListener("click", async () => {
        const sso = err.detail?.step === "sso";
        const { authorization_url, state } = await api.authorizeUrl(callbackUri, sso ? org.id : "");
        sessionStorage.setItem(WORKOS_STATE, state);
        location.assign(authorization_url);
      });
      $("organizations").append(again);
    }
    return;
  }
  busy(false);
  await loadUser();
}

async function loadUser() {
  try {
    const user = await api.me();
    // after a reload in cookie mode the page has no session_config yet: one refresh brings it
    if (!api.sessionConfig) await api.refreshTokens();
    render(user);
    loadSessions();
    loadOrganizations();
    if (user.organization_id) {
      // named, not shown by id: the organization's name comes from its own endpoint
      api.organization().then((org) => { $("user-org").textContent = org.name || org.id; }).catch(() => {});
    }
  } catch (err) {
    render(null);
    if (err.status !== 401) showError(err);
  }
}

// A callback link can be crafted by anyone: it finishes a sign-in only if it carries the state
// this tab got when it started one (kept in sessionStorage for the round trip, used once).
const WORKOS_STATE = "gatehouse-workos-state";

function takeStartedState() {
  const state = sessionStorage.getItem(WORKOS_STATE);
  sessionStorage.removeItem(WORKOS_STATE);
  return state;
}

// What a provider wrote on the redirect back is anyone's text: show our own words instead.
function providerError(params) {
  return { code: params.get("error") === "access_denied" ? "sign_in_cancelled" : "provider_error" };
}

$("workos").addEventListener("click", async () => {
  clearError();
  busy(true);
  try {
    const { authorization_url, state } = await api.authorizeUrl(callbackUri);
    sessionStorage.setItem(WORKOS_STATE, state);
    location.assign(authorization_url);
  } catch (err) {
    busy(false);
    showError(err);
  }
});

$("password-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(() => api.password($("email").value, $("password").value));
});

// Google / Okta: the SPA runs the provider's authorization step itself (state, nonce and PKCE
// kept in sessionStorage for the round trip), then hands the code to Gatehouse.
const providers = JSON.parse(document.getElementById("providers").textContent);
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));

for (const button of document.querySelectorAll("button.provider")) {
  button.addEventListener("click", async () => {
    const provider = providers.find((p) => p.name === button.dataset.provider);
    const flow = { provider: provider.name, state: random(), nonce: random(), verifier: random() };
    const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(flow.verifier)));
    sessionStorage.setItem("gatehouse-oidc", JSON.stringify(flow));
    const url = new URL(provider.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: provider.client_id, response_type: "code", scope: "openid email profile",
      redirect_uri: new URL(`${base}callback/${provider.name}`, location.origin).href,
      state: flow.state, nonce: flow.nonce, code_challenge: challenge, code_challenge_method: "S256",
    }).toString();
    location.assign(url.href);
  });
}

async function finishProviderSignIn(provider, params) {
  const flow = JSON.parse(sessionStorage.getItem("gatehouse-oidc") || "null");
  sessionStorage.removeItem("gatehouse-oidc");
  if (!flow || flow.provider !== provider || flow.state !== params.get("state")) {
    throw { code: "state_mismatch" };
  }
  if (params.get("error")) throw providerError(params);
  await api.providerSignIn(provider, {
    code: params.get("code"), code_verifier: flow.verifier, nonce: flow.nonce,
    redirect_uri: new URL(`${base}callback/${provider}`, location.origin).href,
  });
}

$("reload").addEventListener("click", () => {
  clearError();
  loadUser();
});

$("logout").addEventListener("click", async () => {
  clearError();
  try {
    const { workos_logout_url } = await api.logout(new URL(base, location.origin).href); // back here afterwards
    render(null);
    if (workos_logout_url) location.assign(workos_logout_url);
  } catch (err) {
    showError(err);
  }
});

document.addEventListener("gatehouse:refreshed", () => {
  const count = Number($("refreshes").textContent) + 1;
  $("refreshes").textContent = String(count);
});

async function start() {
  const params = new URLSearchParams(location.search);
  const providerCallback = location.pathname.match(new RegExp(`^${base}callback/([a-z]+)$`));
  if (providerCallback) {
    history.replaceState(null, "", base);
    try {
      await finishProviderSignIn(providerCallback[1], params);
    } catch (err) {
      showError(err);
      render(null);
      return;
    }
  } else if (location.pathname === `${base}callback`) {
    history.replaceState(null, "", base);
    const started = takeStartedState();
    if (!started || started !== params.get("state")) {
      showError({ code: "state_mismatch" });
    } else if (params.get("error")) {
      showError(providerError(params));
    } else {
      await attempt(() => api.exchange(params.get("code"), params.get("state"), callbackUri));
      return;
    }
  }
  // Signed out for sure (no tokens in memory, no token cookies): nothing to ask the API.
  if (!api.access && !document.cookie.split("; ").includes("gatehouse_signed_in=1")) {
    render(null);
    return;
  }
  await loadUser();
}

start();
