package io.tributary.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Who may do what (docs/security.md). Authentication is on when any credential source is given:
 * an API-key file, an HS256 secret file, or a JWKS file or URL. Tokens arrive as
 * {@code Authorization: Bearer ...}; JWTs carry their grants in {@code grantsClaim}.
 *
 * @param apiKeysFile          lines {@code name sha256-hex grant...}; null = none
 * @param hs256SecretFile      the shared HS256 secret (at least 32 bytes); null = none
 * @param jwksFile             a JWK set of verification keys, re-read when it changes; null = none
 * @param jwksUrl              a JWK set fetched over HTTPS, refreshed every {@code jwksRefreshMillis}; null = none
 * @param jwksRefreshMillis    how often the JWKS file or URL is checked for new keys
 * @param audience             a JWT must list it in {@code aud}; null = not checked
 * @param issuer               a JWT's {@code iss} must equal it; null = not checked
 * @param grantsClaim          the JWT claim holding the grants (array of strings, or one space-separated string)
 * @param anonymousGrants      grants of a request without a token (empty: such requests get 401)
 * @param insecure             allow a client or admin listener on a non-loopback address without authentication
 */
public record AuthConfig(Path apiKeysFile, Path hs256SecretFile, Path jwksFile, String jwksUrl,
    long jwksRefreshMillis, String audience, String issuer, String grantsClaim, List<String> anonymousGrants,
    boolean insecure) {

  /** True when any credential source is configured: every non-health route then needs a grant. */
  public boolean enabled() {
    return apiKeysFile != null || hs256SecretFile != null || jwksFile != null || jwksUrl != null;
  }
}
