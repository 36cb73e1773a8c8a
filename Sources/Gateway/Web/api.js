// The MovieMash REST API, and its failures in words a person can act on.

/** A request that did not succeed: `message` is for people, `type` (the problem's) for code. */
export class ApiError extends Error {
  constructor(message, { status = 0, type = "", retryAfter = 0 } = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.retryAfter = retryAfter;
  }

  /** The problem type's last segment, such as `rate-limited` or `invalid-ticket`. */
  get kind() {
    return this.type.split("/").pop();
  }
}

function explain(status, problem, retryAfter) {
  const kind = (problem.type || "").split("/").pop();
  switch (kind) {
    case "rate-limited":
      return `That was faster than MovieMash accepts. Wait ${retryAfter || 1} second${retryAfter === 1 ? "" : "s"}, then try again.`;
    case "invalid-ticket":
      return "That pair expired before your vote reached us, so the vote was not counted. Here is a fresh pair.";
    case "ticket-used":
      return "That pair was already voted on; the first vote is the one that counts.";
    case "invalid-token":
    case "token-ended":
    case "unauthenticated":
      return "Your session has ended. Please sign in again.";
    case "invalid-credentials":
      return "That username and password do not match an account.";
    case "wrong-password":
      return "That is not this account's password.";
    case "invalid-password":
      return problem.detail || "That password is not allowed.";
    case "account-unreadable":
      return "This account can no longer be read here: it was deleted.";
    case "username-taken":
      return "That username is taken; please choose another.";
    case "invalid-registration":
      return problem.detail || "That username or password is not allowed.";
    case "invalid-letterboxd-name":
      return "That is not a Letterboxd username: use the name in your profile's address (letters, digits or _).";
    case "letterboxd-name-claimed":
      return "Another MovieMash voter already says that Letterboxd profile is theirs. If it is yours, write to us.";
    case "letterboxd-request-limit":
      return `You have asked for many Letterboxd profiles today. Try again in ${retryAfter > 3600 ? `${Math.ceil(retryAfter / 3600)} hours` : `${Math.ceil((retryAfter || 60) / 60)} minutes`}.`;
    case "letterboxd-queue-busy":
      return `Many profiles are waiting to be read right now. Try again in ${Math.ceil((retryAfter || 60) / 60)} minutes.`;
    case "scraping-off":
      return "This MovieMash does not read Letterboxd profiles.";
    case "no-comparisons":
      return "There is nothing new to compare right now. Try again in a little while.";
    case "busy":
      return `Many people are signing in right now. Try again in ${retryAfter || 1} second${retryAfter > 1 ? "s" : ""}.`;
    case "not-ready":
      return "MovieMash is still starting up. Try again in a moment.";
    case "stale-replica":
      return "This MovieMash server is still catching up with your latest vote. Try again in a moment.";
    case "replication-pending":
      return "Your vote is saved but not yet confirmed everywhere. Try again in a moment; it will not count twice.";
    default:
      return status >= 500
        ? "MovieMash had a problem answering. Please try again."
        : problem.detail || problem.title || `The request failed (${status}).`;
  }
}

// The highest log position any answer carried: every request asks for at least it, so whichever server
// answers shows this person's own votes and account (read your writes across servers).
let seenPosition = Number(sessionStorage.getItem("moviemash.position")) || 0;

function notePosition(response) {
  const position = Number(response.headers.get("MovieMash-Position"));
  if (Number.isSafeInteger(position) && position > seenPosition) {
    seenPosition = position;
    sessionStorage.setItem("moviemash.position", String(position));
  }
}

/** Calls the API; resolves with the JSON body, rejects with an `ApiError`. */
export async function request(method, path, { token, body, idempotencyKey } = {}) {
  const headers = { Accept: "application/json" };
  if (seenPosition > 0) headers["MovieMash-Min-Position"] = String(seenPosition);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError("Cannot reach MovieMash. Check your connection, then try again.");
  }
  notePosition(response);
  const text = await response.text();
  let json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  if (!response.ok) {
    const retryAfter = Number(response.headers.get("Retry-After")) || 0;
    throw new ApiError(explain(response.status, json, retryAfter), { status: response.status, type: json.type || "", retryAfter });
  }
  return json;
}
