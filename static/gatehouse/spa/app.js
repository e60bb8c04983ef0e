// The example SPA: AuthKit sign-in, email + password, the user, refresh on 401, logout.
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
  session_revoked: "You have been signed out. Please sign in again.",
  refresh_token_reused: "For your safety you have been signed out. Please sign in again.",
  workos_unavailable: "The sign-in service is having trouble. Try again in a moment.",
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

function render(user) {
  $("signed-out").hidden = Boolean(user);
  $("signed-in").hidden = !user;
  if (user) {
    $("user-email").textContent = user.email;
    $("user-name").textContent = [user.first_name, user.last_name].filter(Boolean).join(" ") || "—";
    $("user-org").textContent = user.organization_id || "—";
    $("mode").textContent = api.cookieMode ? "HttpOnly cookies" : "memory (response body)";
  }
}

async function loadUser() {
  try {
    render(await api.me());
  } catch (err) {
    render(null);
    if (err.status !== 401) showError(err);
  }
}

$("workos").addEventListener("click", async () => {
  clearError();
  try {
    const { authorization_url } = await api.authorizeUrl(callbackUri);
    location.assign(authorization_url);
  } catch (err) {
    showError(err);
  }
});

$("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  try {
    await api.password($("email").value, $("password").value);
    await loadUser();
  } catch (err) {
    showError(err);
  }
});

$("reload").addEventListener("click", () => {
  clearError();
  loadUser();
});

$("logout").addEventListener("click", async () => {
  clearError();
  try {
    const { workos_logout_url } = await api.logout();
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
  if (location.pathname === `${base}callback`) {
    history.replaceState(null, "", base);
    if (params.get("error")) {
      showError({ code: params.get("error"), message: params.get("error_description") || "The sign-in was cancelled." });
    } else {
      try {
        await api.exchange(params.get("code"), params.get("state"), callbackUri);
      } catch (err) {
        showError(err);
        render(null);
        return;
      }
    }
  }
  await loadUser();
}

start();
