package io.tributary.auth;

/** The outcome of authenticating one request: who it is, or why its token is refused. */
public sealed interface AuthResult {
  /** No token was sent; the request acts with the anonymous grants. */
  record Anonymous(Principal principal) implements AuthResult {}

  /** A valid token. */
  record Authenticated(Principal principal) implements AuthResult {}

  /** A token was sent but is not acceptable (401); {@code reason} is safe to show the caller. */
  record Rejected(String reason) implements AuthResult {}
}
