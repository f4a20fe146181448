package io.tributary.auth;

import com.nimbusds.jose.jwk.JWKSet;
import io.tributary.config.AuthConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a request's {@code Authorization} header into an {@link AuthResult}: a compact JWT (three
 * dot-separated parts) goes to the {@link JwtVerifier}, anything else is looked up as an API key;
 * no header means the anonymous principal. {@link #authenticate} runs on event loops: CPU only,
 * reading immutable views. Key material that can change (the API-key file, the JWKS file or URL)
 * is re-read on this object's own thread ({@code tributary-auth-keys}) every
 * {@code auth-jwks-refresh-ms} (and early, at most every 10 s, when a token names an unknown
 * key), and a new view is published with a volatile write; a file that fails to parse keeps the
 * previous view and is logged.
 */
public final class Authentication implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Authentication.class);
  private static final long EARLY_REFRESH_GAP_MS = 10_000;

  private final AuthConfig config;
  private final Principal anonymous;
  private final JwtVerifier jwt;
  private volatile ApiKeys apiKeys;
  private volatile JWKSet jwks = new JWKSet();
  private volatile FileTime apiKeysModified;
  private volatile FileTime jwksModified;
  private final AtomicLong lastRefreshMillis = new AtomicLong();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private ScheduledExecutorService refresher;

  /**
   * Loads every configured source; a missing or malformed file fails here, at start. A JWKS URL
   * that cannot be fetched yet is retried in the background (tokens signed by its keys get 401
   * until then).
   */
  public Authentication(AuthConfig config) throws IOException {
    this.config = config;
    List<Grant> anon = new ArrayList<>();
    for (String g : config.anonymousGrants()) {
      try {
        anon.add(Grant.parse(g));
      } catch (IllegalArgumentException e) {
        throw new IOException("--auth-anonymous-grants: " + e.getMessage(), e);
      }
    }
    this.anonymous = new Principal("anonymous", anon);
    if (config.apiKeysFile() != null) {
      apiKeysModified = Files.getLastModifiedTime(config.apiKeysFile());
      apiKeys = ApiKeys.load(config.apiKeysFile());
    }
    byte[] secret = null;
    if (config.hs256SecretFile() != null) {
      secret = Files.readString(config.hs256SecretFile(), StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
      if (secret.length < 32) {
        throw new IOException(config.hs256SecretFile() + ": an HS256 secret needs at least 32 bytes (256 bits)");
      }
    }
    if (config.jwksFile() != null) {
      jwksModified = Files.getLastModifiedTime(config.jwksFile());
      jwks = parseJwks(Files.readString(config.jwksFile(), StandardCharsets.UTF_8), config.jwksFile().toString());
    }
    boolean keyed = config.jwksFile() != null || config.jwksUrl() != null;
    this.jwt = secret == null && !keyed ? null
        : new JwtVerifier(secret, keyed ? () -> jwks : null, config.audience(), config.issuer(), config.grantsClaim());
  }

  /** True when requests need grants; false when no credential source is configured. */
  public boolean enabled() {
    return config.enabled();
  }

  /** Starts the background refresher (only when some source can change). */
  public void start() {
    if (!enabled()) {
      return;
    }
    LOG.info("authentication on: {}{}{}{}; anonymous grants {}", config.apiKeysFile() != null ? "API keys "
        + apiKeys.size() + " " : "", config.hs256SecretFile() != null ? "HS256 " : "",
        config.jwksFile() != null ? "JWKS file " : "", config.jwksUrl() != null ? "JWKS URL " + config.jwksUrl() : "",
        anonymous.grants());
    if (config.apiKeysFile() == null && config.jwksFile() == null && config.jwksUrl() == null) {
      return; // nothing that can change: no refresher
    }
    refresher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tributary-auth-keys");
      t.setDaemon(true);
      return t;
    });
    refresher.scheduleWithFixedDelay(this::refreshNow, config.jwksUrl() != null ? 0 : config.jwksRefreshMillis(),
        config.jwksRefreshMillis(), TimeUnit.MILLISECONDS);
  }

  /** Who sent a request with this {@code Authorization} header value (null when absent). Event-loop safe. */
  public AuthResult authenticate(String authorization) {
    if (authorization == null) {
      return new AuthResult.Anonymous(anonymous);
    }
    String a = authorization.strip();
    if (a.length() < 7 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return new AuthResult.Rejected("Authorization must be 'Bearer <token>'");
    }
    String token = a.substring(7).strip();
    if (token.isEmpty() || token.length() > 16_384) {
      return new AuthResult.Rejected("empty or oversized bearer token");
    }
    if (token.chars().filter(c -> c == '.').count() == 2) {
      return jwt == null ? new AuthResult.Rejected("JWTs are not accepted here (no JWT keys configured)")
          : jwt.verify(token, this::requestEarlyRefresh);
    }
    ApiKeys keys = apiKeys;
    Principal p = keys == null ? null : keys.lookup(token);
    return p == null ? new AuthResult.Rejected("unknown API key") : new AuthResult.Authenticated(p);
  }

  private void requestEarlyRefresh() {
    long now = System.currentTimeMillis();
    long last = lastRefreshMillis.get();
    if (refresher != null && now - last >= EARLY_REFRESH_GAP_MS && lastRefreshMillis.compareAndSet(last, now)) {
      refresher.execute(this::refreshNow);
    }
  }

  /** Re-reads what changed; runs on the refresher thread (tests call it directly). */
  public void refreshNow() {
    lastRefreshMillis.set(System.currentTimeMillis());
    try {
      if (config.apiKeysFile() != null) {
        FileTime m = Files.getLastModifiedTime(config.apiKeysFile());
        if (!m.equals(apiKeysModified)) {
          apiKeys = ApiKeys.load(config.apiKeysFile());
          apiKeysModified = m;
          LOG.info("API keys re-read from {}: {} keys", config.apiKeysFile(), apiKeys.size());
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("API keys in {} not re-read, the previous ones stay: {}", config.apiKeysFile(), e.toString());
    }
    try {
      if (config.jwksFile() != null) {
        FileTime m = Files.getLastModifiedTime(config.jwksFile());
        if (!m.equals(jwksModified)) {
          jwks = parseJwks(Files.readString(config.jwksFile(), StandardCharsets.UTF_8), config.jwksFile().toString());
          jwksModified = m;
          LOG.info("JWKS re-read from {}: {} keys", config.jwksFile(), jwks.getKeys().size());
        }
      }
      if (config.jwksUrl() != null) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(config.jwksUrl()))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new IOException(config.jwksUrl() + " answered " + r.statusCode());
        }
        JWKSet next = parseJwks(r.body(), config.jwksUrl());
        if (!next.toString().equals(jwks.toString())) {
          LOG.info("JWKS fetched from {}: {} keys", config.jwksUrl(), next.getKeys().size());
        }
        jwks = next;
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("JWKS not refreshed, the previous keys stay: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static JWKSet parseJwks(String json, String source) throws IOException {
    try {
      JWKSet set = JWKSet.parse(json);
      for (var k : set.getKeys()) {
        if (k.isPrivate()) {
          throw new IOException(source + ": holds a private key; a JWKS for verification holds public keys only");
        }
      }
      return set;
    } catch (ParseException e) {
      throw new IOException(source + ": not a JWK set: " + e.getMessage(), e);
    }
  }

  /** Path of the API-key file, for messages. */
  public Path apiKeysFile() {
    return config.apiKeysFile();
  }

  @Override
  public void close() {
    if (refresher != null) {
      refresher.shutdownNow();
    }
  }
}
