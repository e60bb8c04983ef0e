// A small client for Gatehouse's JSON API, as a customer's front end would write it.
// Tokens live in memory only (never localStorage); in cookie mode the server keeps them in
// HttpOnly cookies and this client sends the CSRF token instead.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `Request failed (${status})`);
    this.status = status;
    this.code = body?.code || "network_error";
    this.detail = body?.detail;
  }
}

// The server answers in snake_case or, with GATEHOUSE_API_STYLE=camel, in seed 003's camelCase
// names (docs/api.md, API styles). This client reads both: camel names are turned back here.
const FROM_CAMEL = {
  token: "access_token", refreshToken: "refresh_token", tokenExpiryHours: "absolute_lifetime_hours",
  warningTimeMinutes: "warning_minutes", idleTrackingEnabled: "idle_tracking",
  ssoSilentRenewalEnabled: "sso_silent_renewal", ssoFallbackBehavior: "sso_fallback",
  passwordSilentRenewalEnabled: "password_silent_renewal", passwordFallbackBehavior: "password_fallback",
  silentRenewalEnabled: "silent_renewal", fallbackBehavior: "fallback", accessRole: "role",
};

function snakeCase(value) {
  if (Array.isArray(value)) return value.map(snakeCase);
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [
    FROM_CAMEL[key] || key.replace(/(?<=[a-z0-9])([A-Z])/g, (c) => `_${c.toLowerCase()}`), snakeCase(v),
  ]));
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class Gatehouse {
  constructor() {
    this.access = null;
    this.refresh = null;
    this.cookieMode = false;
    this.sessionConfig = null; // the sign-in's session policy, from every sign-in and refresh
    this.recoveryCodes = null; // MFA recovery codes a sign-in just made, until the page shows them
    this.lastServerTouch = 0; // when the server last saw this sign-in (ms)
    this.onChange = () => {};
  }

  async request(method, path, body, { retry = true } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.access) headers.Authorization = `Bearer ${this.access}`;
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    // where the server should put the tokens, where it lets clients choose (the demo does)
    const delivery = sessionStorage.getItem("gatehouse-token-delivery");
    if (delivery) headers["X-Token-Delivery"] = delivery;
    let response;
    try {
      response = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiError(0, { code: "network_error", message: "The server could not be reached. Check your connection and try again." });
    }
    const data = snakeCase(await response.json().catch(() => ({})));
    // An expired access token: refresh once (from memory, or from the HttpOnly cookie) and retry.
    if (response.status === 401 && retry && path !== "/api/token/refresh/") {
      await this.refreshTokens();
      return this.request(method, path, body, { retry: false });
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  keep(pair) {
    // Body mode returns tokens; cookie mode returns none (they are in HttpOnly cookies).
    const access = pair.access_token || pair.access;
    const refresh = pair.refresh_token || pair.refresh;
    this.cookieMode = !access;
    this.access = access || null;
    this.refresh = refresh || null;
    if (pair.session_config) this.sessionConfig = pair.session_config;
    // an authenticator was just set up: its one-time recovery codes, for the page to show once
    if (pair.recovery_codes) this.recoveryCodes = pair.recovery_codes;
    this.lastServerTouch = Date.now();
    this.onChange();
  }

  forget() {
    this.access = this.refresh = null;
    this.cookieMode = false;
    this.sessionConfig = null;
    this.onChange();
  }

  authorizeUrl(redirectUri, organizationId = "") {
    const organization = organizationId ? `&organization_id=${encodeURIComponent(organizationId)}` : "";
    return this.request("GET", `/api/auth/workos/authorize?redirect_uri=${encodeURIComponent(redirectUri)}${organization}`);
  }

  async exchange(code, state, redirectUri) {
    this.keep(await this.request("POST", "/api/auth/workos/callback", { code, state, redirect_uri: redirectUri }, { retry: false }));
  }

  async providerSignIn(provider, body) {
    this.keep(await this.request("POST", `/api/auth/${provider}/`, body, { retry: false }));
  }

  async password(email, password) {
    this.keep(await this.request("POST", "/api/token/", { email, password }, { retry: false }));
  }

  // An emailed one-time code: ask for one (the answer never says whether the address has an
  // account), then sign in with it.
  sendCode(email) {
    return this.request("POST", "/api/auth/magic-code", { email }, { retry: false });
  }

  async verifyCode(email, code) {
    this.keep(await this.request("POST", "/api/auth/magic-code/verify", { email, code }, { retry: false }));
  }

  // A sign-in that answered 403 with `detail.pending_token` has a step left: `email-verification`
  // or `mfa` ({code}), `organization` ({organization_id}). `enroll` sets up a first authenticator.
  async step(kind, pendingToken, body) {
    this.keep(await this.request("POST", `/api/auth/steps/${kind}`, { pending_token: pendingToken, ...body }, { retry: false }));
  }

  enroll(pendingToken) {
    return this.request("POST", "/api/auth/steps/mfa/enroll", { pending_token: pendingToken }, { retry: false });
  }

  async refreshTokens() {
    const body = this.refresh ? { refresh: this.refresh } : {};
    try {
      this.keep(await this.request("POST", "/api/token/refresh/", body, { retry: false }));
      document.dispatchEvent(new CustomEvent("gatehouse:refreshed"));
    } catch (err) {
      this.forget();
      throw err;
    }
  }

  me() {
    return this.request("GET", "/api/auth/me");
  }

  organization() {
    return this.request("GET", "/api/auth/organization");
  }

  organizations() {
    return this.request("GET", "/api/auth/organizations");
  }

  // Move this sign-in to another of my organizations: a new pair, that organization's role.
  async switchOrganization(organizationId) {
    this.keep(await this.request("POST", "/api/auth/organization/switch", { organization_id: organizationId }));
  }

  sessions() {
    return this.request("GET", "/api/auth/sessions/");
  }

  endSession(id) {
    return this.request("DELETE", `/api/auth/sessions/${encodeURIComponent(id)}/`);
  }

  async logout(returnTo) {
    const result = await this.request("POST", "/api/auth/logout/", returnTo ? { return_to: returnTo } : undefined);
    this.forget();
    return result;
  }
}
