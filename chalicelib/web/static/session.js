// Signing people in (a deployment's default, API_AUTH=cognito): a small form whose name and
// password go straight to Cognito's InitiateAuth (USER_PASSWORD_AUTH, over TLS), never to
// this service. Chosen over the hosted UI with PKCE: no redirect domain to set up, the page
// keeps to one origin and its own look, and the local stack's emulator answers exactly
// these calls, so sign-in is tested for real (docs/ARCHITECTURE.md, "Who is calling").
//
// The tokens live in this tab's sessionStorage only: another tab signs in on its own, and
// closing the tab forgets them. The ID token goes to the API (Authorization); it is
// refreshed a minute before it expires, and again when the API says it has; signing out
// revokes the refresh token and forgets everything.

const STORE = "bank-research-sign-in";
const EARLY_MS = 60_000;
const MIN_WAIT_MS = 5_000;

let config = null;
let timer = null;
let changed = () => {};

export class SignInError extends Error {}

export function whenSessionChanges(callback) {
  changed = callback;
}

// What the service says about signing in (a public route); null when it cannot tell.
export async function loadSignIn() {
  try {
    const response = await fetch("api/auth/config", { headers: { Accept: "application/json" }, cache: "no-store" });
    const data = response.ok ? await response.json() : null;
    config = data && data.mode === "cognito" && data.signIn ? data.signIn : null;
  } catch {
    config = null;
  }
  return config;
}

export const signInNeeded = () => config !== null;

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || "null");
  } catch {
    return null;
  }
}

function keep(tokens, name) {
  const previous = stored() || {};
  const session = {
    name: name || previous.name,
    idToken: tokens.IdToken,
    accessToken: tokens.AccessToken,
    refreshToken: tokens.RefreshToken || previous.refreshToken,
    expiresAt: Date.now() + Number(tokens.ExpiresIn || 3600) * 1000,
  };
  sessionStorage.setItem(STORE, JSON.stringify(session));
  schedule(session);
  changed(session);
  return session;
}

export function currentSession() {
  const session = stored();
  return session && session.idToken ? session : null;
}

export function authorization() {
  const session = currentSession();
  return session ? session.idToken : null;
}

function schedule(session) {
  clearTimeout(timer);
  const wait = Math.max(session.expiresAt - EARLY_MS - Date.now(), MIN_WAIT_MS);
  timer = setTimeout(() => refresh().catch(() => {}), wait);
}

// One call to Cognito, as its JavaScript SDK sends it.
async function cognito(target, body) {
  let response;
  try {
    response = await fetch(config.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
      },
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new SignInError("The sign-in service cannot be reached. Check your connection and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new SignInError(cognitoWords(data.__type || "", response.status));
  return data;
}

function cognitoWords(type, status) {
  const name = type.split("#").pop();
  if (name === "NotAuthorizedException" || name === "UserNotFoundException") {
    return "That name and password do not match. Check them and try again.";
  }
  if (name === "InvalidPasswordException") {
    return "That new password is too weak: use at least 10 characters with upper and lower case letters and a digit.";
  }
  if (name === "PasswordResetRequiredException") {
    return "Your password has to be reset. Ask your administrator for a new one.";
  }
  if (name === "TooManyRequestsException" || name === "LimitExceededException" || status === 429) {
    return "Too many sign-in attempts. Wait a minute, then try again.";
  }
  return "Signing in did not work just now. Try again in a minute.";
}

// Sign in; answers "new-password" when the administrator's temporary password must be
// replaced first (call again with newPassword).
let challenge = null;
export async function signIn(name, password, newPassword) {
  if (challenge && newPassword) {
    const answer = await cognito("RespondToAuthChallenge", {
      ClientId: config.clientId,
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      Session: challenge,
      ChallengeResponses: { USERNAME: name, NEW_PASSWORD: newPassword },
    });
    challenge = null;
    return keep(answer.AuthenticationResult, name);
  }
  const answer = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: config.clientId,
    AuthParameters: { USERNAME: name, PASSWORD: password },
  });
  if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") {
    challenge = answer.Session;
    return "new-password";
  }
  if (!answer.AuthenticationResult) throw new SignInError("Signing in needs a step this page cannot take. Ask your administrator.");
  return keep(answer.AuthenticationResult, name);
}

// Fresh tokens from the refresh token; false when there is none or it no longer works.
let refreshing = null;
export function refresh() {
  const session = stored();
  if (!config || !session || !session.refreshToken) return Promise.resolve(false);
  refreshing ||= cognito("InitiateAuth", {
    AuthFlow: "REFRESH_TOKEN_AUTH",
    ClientId: config.clientId,
    AuthParameters: { REFRESH_TOKEN: session.refreshToken },
  })
    .then((answer) => Boolean(keep(answer.AuthenticationResult)))
    .catch(() => false)
    .finally(() => { refreshing = null; });
  return refreshing;
}

export async function signOut() {
  const session = stored();
  clearTimeout(timer);
  sessionStorage.removeItem(STORE);
  if (config && session && session.refreshToken) {
    // Best effort: the tab forgets the tokens whatever Cognito answers.
    await cognito("RevokeToken", { ClientId: config.clientId, Token: session.refreshToken }).catch(() => {});
  }
  changed(null);
}

// On load: keep a session this tab still holds (refreshing it if it is about to lapse).
export async function resume() {
  const session = currentSession();
  if (!session) return null;
  if (session.expiresAt - Date.now() > EARLY_MS) {
    schedule(session);
    changed(session);
    return session;
  }
  if (await refresh()) return currentSession();
  sessionStorage.removeItem(STORE);
  return null;
}
