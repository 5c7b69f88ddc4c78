// JSON requests to the assessment's token-link endpoints (no cookies needed: the token is in the URL).

/** POST ``body`` as JSON; resolves to the response and its parsed JSON (``{}`` if it had none). */
export async function postJson(url, body, { keepalive = false } = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
    keepalive,
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  return { response, data };
}
