package io.tributary.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.tributary.config.ConfigException;
import io.tributary.config.TributaryConfig;
import io.tributary.testing.LocalNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Goal: with authentication on, no route changes or exposes data without the grant for it, and a
 * refused request has no effect (docs/security.md, the attack suite of the trust boundary).
 *
 * <p>Method: one node in this JVM with all three credential sources (an API-key file, an HS256
 * secret, a JWKS file with an EC key) and tenants {@code tenant-a} and {@code tenant-b}. Every
 * route of the client and admin listeners — each route family, each extension, buckets, listings,
 * forks — is sent with no token, a malformed token, a JWT with a wrong signature, an expired JWT,
 * a JWT not yet valid, an unsigned ({@code alg: none}) JWT, a token for the other bucket and a
 * read-only token for writes: 401 or 403 every time, and afterwards every stream and bucket reads
 * back exactly as before. Then the grants that should work do, listings show only what the caller
 * may see, forks stay inside a bucket, rotated keys are picked up without restart, and a node
 * without authentication refuses a non-loopback address unless told {@code --insecure true}.
 */
class AuthAttackTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef-hs256-test-secret";
  private static final String WRITER = "writer-key-" + "w".repeat(20);
  private static final String READER = "reader-key-" + "r".repeat(20);
  private static final String ADMIN = "admin-key-" + "a".repeat(20);
  private static final String OTHER = "other-key-" + "o".repeat(20);
  private static final String CHAT = "chat-key-" + "c".repeat(20);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static Path dir;
  private static LocalNode node;
  private static ECKey ecKey;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("auth-attack");
    Files.writeString(dir.resolve("keys"), String.join("\n",
        "# name sha256 grants",
        "writer " + sha256(WRITER) + " *:tenant-a",
        "reader " + sha256(READER) + " read:tenant-a",
        "admin " + sha256(ADMIN) + " admin:*",
        "other " + sha256(OTHER) + " *:tenant-b",
        "chat " + sha256(CHAT) + " read,append,create:tenant-a/chat/", ""));
    Files.writeString(dir.resolve("secret"), SECRET);
    ecKey = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
    Files.writeString(dir.resolve("jwks.json"), new JWKSet(ecKey.toPublicJWK()).toString());
    node = new LocalNode(dir.resolve("data"), Map.of(
        "auth-api-keys-file", dir.resolve("keys").toString(),
        "auth-hs256-secret-file", dir.resolve("secret").toString(),
        "auth-jwks-file", dir.resolve("jwks.json").toString(),
        "auth-jwks-refresh-ms", "1000",
        "auth-jwt-audience", "tributary",
        // a probe that got through to a live read must end soon, so the test fails instead of hanging
        "sse-connection-max-ms", "1000"));
    // the data every probe tries to reach, change or delete
    ok(send("PUT", "/ds/tenant-a", ADMIN, null, null), 201);
    ok(send("PUT", "/ds/tenant-b", ADMIN, null, null), 201);
    ok(send("PUT", "/ds/tenant-a/doc", WRITER, "text/plain", "secret-a"), 201);
    ok(send("PUT", "/ds/tenant-a/chat/room", WRITER, "text/plain", "hello"), 201);
    ok(send("PUT", "/ds/tenant-a/@k/one", WRITER, "text/plain", "1"), 201);
    ok(send("PUT", "/ds/tenant-b/doc", OTHER, "text/plain", "secret-b"), 201);
    ok(send("PUT", "/v1/stream/flat", jwt(List.of("*:default"), 300, 0), "text/plain", "f"), 201);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** One probe: a request a caller without the right grant must not get through. */
  private record Probe(String method, String path, String contentType, String body, String forkedFrom) {}

  private static List<Probe> clientRoutes() {
    String tail = "0000000000000000_0000000000000001";
    return List.of(
        new Probe("GET", "/ds/tenant-a/doc?offset=-1", null, null, null),
        new Probe("HEAD", "/ds/tenant-a/doc", null, null, null),
        new Probe("GET", "/ds/tenant-a/doc?offset=-1&live=sse", null, null, null),
        new Probe("GET", "/ds/tenant-a/doc?offset=now&live=long-poll", null, null, null),
        new Probe("POST", "/ds/tenant-a/doc", "text/plain", "evil", null),
        new Probe("PUT", "/ds/tenant-a/new", "text/plain", "evil", null),
        new Probe("DELETE", "/ds/tenant-a/doc", null, null, null),
        new Probe("PUT", "/ds/tenant-a/fork", "text/plain", null, "/ds/tenant-a/doc"),
        new Probe("PUT", "/ds/tenant-a/doc/$snapshot/" + tail, "text/plain", "s", null),
        new Probe("GET", "/ds/tenant-a/doc/$snapshot", null, null, null),
        new Probe("PUT", "/ds/tenant-a/doc/$retention/" + tail, null, null, null),
        new Probe("GET", "/ds/tenant-a/doc/$bootstrap", null, null, null),
        new Probe("GET", "/ds/tenant-a/doc/$attrs", null, null, null),
        new Probe("PUT", "/ds/tenant-a/doc/$attrs", "application/json", "{\"a\":1}", null),
        new Probe("POST", "/ds/tenant-a/doc/$append-batch", "text/plain", "x", null),
        new Probe("POST", "/ds/tenant-a/@k/$transaction", "application/json",
            "{\"appends\":[{\"stream\":\"@k/one\",\"text\":\"x\"}]}", null),
        // the Ursula family and the percent-encoded spelling of the same stream
        new Probe("GET", "/tenant-a/doc?offset=-1", null, null, null),
        new Probe("POST", "/tenant-a/doc", "text/plain", "evil", null),
        new Probe("GET", "/tenant-a/doc/snapshot", null, null, null),
        new Probe("GET", "/tenant-a/streams", null, null, null),
        new Probe("GET", "/ds/tenant-a/%64oc?offset=-1", null, null, null),
        new Probe("DELETE", "/ds/%74enant-a/doc", null, null, null),
        // buckets and listings
        new Probe("GET", "/ds/tenant-a", null, null, null),
        new Probe("PUT", "/ds/tenant-c", null, null, null),
        new Probe("DELETE", "/ds/tenant-a", null, null, null),
        new Probe("PUT", "/tenant-c", null, null, null),
        new Probe("DELETE", "/tenant-a", null, null, null));
  }

  @Test
  void everyClientRouteRefusesMissingBadExpiredAndMisdirectedTokensWithoutEffect() throws Exception {
    Map<String, String> before = everything();
    String wrongSignature = signHs(claims(List.of("*:tenant-a"), 300, 0), "another-secret-of-at-least-32-bytes!!");
    String expired = jwt(List.of("*:tenant-a"), -600, 0);
    String notYet = jwt(List.of("*:tenant-a"), 3600, 1800);
    String unsigned = new com.nimbusds.jwt.PlainJWT(claims(List.of("*:tenant-a"), 300, 0)).serialize();
    String forgedEc = signEc(claims(List.of("*:tenant-a"), 300, 0), new ECKeyGenerator(Curve.P_256).keyID("k1").generate());
    String wrongAudience = signHs(new JWTClaimsSet.Builder(claims(List.of("*:tenant-a"), 300, 0)).audience("elsewhere")
        .build(), SECRET);
    Map<String, String> badTokens = new LinkedHashMap<>();
    badTokens.put("malformed", "not.a.jwt");
    badTokens.put("garbage", "%%%");
    badTokens.put("wrong HS256 signature", wrongSignature);
    badTokens.put("forged EC signature", forgedEc);
    badTokens.put("expired", expired);
    badTokens.put("not yet valid", notYet);
    badTokens.put("alg none", unsigned);
    badTokens.put("wrong audience", wrongAudience);
    badTokens.put("unknown API key", "nobody-knows-this-key-0123456789");
    List<String> problems = new ArrayList<>();
    for (Probe p : clientRoutes()) {
      expect(problems, p, null, 401, "no token");
      for (Map.Entry<String, String> bad : badTokens.entrySet()) {
        expect(problems, p, bad.getValue(), 401, bad.getKey());
      }
      expect(problems, p, OTHER, 403, "token for another bucket");
      expect(problems, p, jwt(List.of("*:tenant-b"), 300, 0), 403, "JWT for another bucket");
      if (!isRead(p)) {
        expect(problems, p, READER, 403, "read-only token");
      }
    }
    assertThat(problems).as("probes that got through or were answered wrongly").isEmpty();
    assertThat(everything()).as("every stream and bucket after the probes").isEqualTo(before);
  }

  @Test
  void adminListenerNeedsAnAdminGrant() throws Exception {
    for (String path : List.of("/admin/cluster", "/admin/groups", "/metrics")) {
      assertThat(admin(path, null).statusCode()).as("%s without a token", path).isEqualTo(401);
      assertThat(admin(path, "garbage-token-xyz").statusCode()).as("%s with a bad token", path).isEqualTo(401);
      assertThat(admin(path, WRITER).statusCode()).as("%s with a stream grant", path).isEqualTo(403);
      assertThat(admin(path, ADMIN).statusCode()).as("%s as admin", path).isEqualTo(200);
    }
    assertThat(admin("/healthz", null).statusCode()).as("health needs no token").isEqualTo(200);
    assertThat(send("GET", "/readyz", null, null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void grantsAllowWhatTheySayAndListingsShowOnlyWhatTheCallerMaySee() throws Exception {
    ok(send("POST", "/ds/tenant-a/chat/room", CHAT, "text/plain", "+chat"), 204);
    ok(send("PUT", "/ds/tenant-a/chat/other", CHAT, "text/plain", "x"), 201);
    ok(send("PUT", "/ds/tenant-a/elsewhere", CHAT, "text/plain", "x"), 403);
    ok(send("GET", "/ds/tenant-a/doc?offset=-1", READER, null, null), 200);
    ok(send("GET", "/ds/tenant-a/doc?offset=-1", jwt(List.of("read:tenant-a"), 300, 0), null, null), 200);
    ok(send("GET", "/ds/tenant-a/doc?offset=-1", ecJwt(List.of("read:tenant-a")), null, null), 200);
    ok(send("GET", "/ds/tenant-a/doc?offset=-1", "bearer " + READER, null, null, true), 200);

    String buckets = send("GET", "/ds", OTHER, null, null).body();
    assertThat(buckets).contains("tenant-b").doesNotContain("tenant-a");
    String chatList = send("GET", "/ds/tenant-a", CHAT, null, null).body();
    assertThat(chatList).contains("chat/room").contains("chat/other").doesNotContain("\"doc\"")
        .doesNotContain("@k/one");
    String fullList = send("GET", "/ds/tenant-a", READER, null, null).body();
    assertThat(fullList).contains("\"doc\"").contains("chat/room");
    // paging a filtered listing: one visible stream per page, never a hidden one
    String page1 = send("GET", "/ds/tenant-a?limit=1", CHAT, null, null).body();
    assertThat(page1).contains("chat/other").doesNotContain("chat/room").contains("\"next\":\"chat/other\"");
    String page2 = send("GET", "/ds/tenant-a?limit=1&after=chat/other", CHAT, null, null).body();
    assertThat(page2).contains("chat/room").contains("\"next\":null");

    // forks: inside the bucket with read on the source; never across buckets, whatever the grants
    String both = jwt(List.of("*:tenant-a", "*:tenant-b"), 300, 0);
    ok(sendFork("/ds/tenant-b/stolen", both, "/ds/tenant-a/doc"), 403);
    ok(send("HEAD", "/ds/tenant-b/stolen", OTHER, null, null), 404);
    ok(sendFork("/ds/tenant-a/copy", WRITER, "/ds/tenant-a/doc"), 201);
    ok(sendFork("/ds/tenant-a/chat/copy", CHAT, "/ds/tenant-a/chat/room"), 403); // chat holds no fork grant
  }

  @Test
  void rotatedKeysArePickedUpWithoutRestart() throws Exception {
    String newKey = "rotated-key-" + "n".repeat(20);
    ok(send("GET", "/ds/tenant-a/doc?offset=-1", newKey, null, null), 401);
    Files.writeString(dir.resolve("keys"), Files.readString(dir.resolve("keys")) + "rotated " + sha256(newKey)
        + " read:tenant-a\n");
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> send("GET", "/ds/tenant-a/doc?offset=-1", newKey,
        null, null).statusCode() == 200);

    ECKey next = new ECKeyGenerator(Curve.P_256).keyID("k2").generate();
    String signedByNext = signEc(claims(List.of("read:tenant-a"), 300, 0), next);
    ok(send("GET", "/ds/tenant-a/doc?offset=-1", signedByNext, null, null), 401);
    Files.writeString(dir.resolve("jwks.json"), new JWKSet(List.of(ecKey.toPublicJWK(), next.toPublicJWK())).toString());
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> send("GET", "/ds/tenant-a/doc?offset=-1",
        signedByNext, null, null).statusCode() == 200);

    Files.writeString(dir.resolve("keys"), "this line is broken\n");
    Thread.sleep(2500); // two refresh periods: a broken file must keep the previous keys
    ok(send("GET", "/ds/tenant-a/doc?offset=-1", newKey, null, null), 200);
  }

  @Test
  void withoutAuthenticationANonLoopbackAddressNeedsInsecure() {
    assertThatThrownBy(() -> TributaryConfig.defaults().with(Map.of("host", "0.0.0.0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--insecure");
    assertThatThrownBy(() -> TributaryConfig.defaults().with(Map.of("admin-host", "10.1.2.3")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--admin-host");
    assertThat(TributaryConfig.defaults().with(Map.of("host", "0.0.0.0", "insecure", "true")).host()).isEqualTo("0.0.0.0");
    assertThat(TributaryConfig.defaults().with(Map.of("host", "0.0.0.0", "auth-api-keys-file", "/k")).auth().enabled())
        .isTrue();
    assertThat(TributaryConfig.defaults().with(Map.of("host", "127.0.0.5")).host()).isEqualTo("127.0.0.5");
  }

  // ------------------------------------------------------------------ helpers

  private static boolean isRead(Probe p) {
    return p.method().equals("GET") || p.method().equals("HEAD");
  }

  private static void expect(List<String> problems, Probe p, String token, int status, String what) throws Exception {
    HttpResponse<String> r = p.forkedFrom() != null ? sendFork(p.path(), token, p.forkedFrom())
        : send(p.method(), p.path(), token, p.contentType(), p.body());
    String line = p.method() + " " + p.path() + " with " + what + ": " + r.statusCode() + " " + r.body();
    if (r.statusCode() != status) {
      problems.add(line + " (expected " + status + ")");
    } else if (status == 401 && r.headers().firstValue("WWW-Authenticate").filter(v -> v.startsWith("Bearer")).isEmpty()) {
      problems.add(line + " without a Bearer challenge");
    } else if (r.body().contains("secret-a") || r.body().contains("secret-b") || r.body().contains("chat/room")) {
      problems.add(line + " leaks data");
    }
  }

  /** Every bucket and every stream's bytes, read as admin-equivalent callers. */
  private static Map<String, String> everything() throws Exception {
    Map<String, String> out = new TreeMap<>();
    String all = jwt(List.of("*:tenant-a", "*:tenant-b", "*:default", "admin:*"), 300, 0);
    out.put("buckets", send("GET", "/ds", all, null, null).body());
    for (String b : List.of("tenant-a", "tenant-b", "default")) {
      String list = send("GET", "/ds/" + b, all, null, null).body();
      out.put("list " + b, list);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"name\":\"([^\"]+)\"").matcher(list);
      while (m.find()) {
        out.put(b + "/" + m.group(1), send("GET", "/ds/" + b + "/" + m.group(1) + "?offset=-1", all, null, null).body());
      }
    }
    return out;
  }

  private static void ok(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as("%s %s: %s", r.request().method(), r.request().uri(), r.body()).isEqualTo(status);
  }

  private static HttpResponse<String> send(String method, String path, String token, String contentType, String body)
      throws Exception {
    return send(method, path, token == null ? null : "Bearer " + token, contentType, body, true);
  }

  private static HttpResponse<String> send(String method, String path, String authorization, String contentType,
      String body, boolean raw) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url(path))).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> sendFork(String path, String token, String source) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url(path))).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "text/plain").header("Stream-Forked-From", source)
        .PUT(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> admin(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.adminUrl(path))).timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JWTClaimsSet claims(List<String> grants, long expiresInSeconds, long notBeforeInSeconds) {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder().subject("user-" + grants.hashCode()).audience("tributary")
        .expirationTime(Date.from(now.plusSeconds(expiresInSeconds))).notBeforeTime(Date.from(now.plusSeconds(notBeforeInSeconds)))
        .claim("tributary_grants", grants).build();
  }

  private static String jwt(List<String> grants, long expiresInSeconds, long notBeforeInSeconds) throws JOSEException {
    return signHs(claims(grants, expiresInSeconds, notBeforeInSeconds), SECRET);
  }

  private static String ecJwt(List<String> grants) throws JOSEException {
    return signEc(claims(grants, 300, 0), ecKey);
  }

  private static String signHs(JWTClaimsSet claims, String secret) throws JOSEException {
    SignedJWT t = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    t.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    return t.serialize();
  }

  private static String signEc(JWTClaimsSet claims, ECKey key) throws JOSEException {
    SignedJWT t = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
    t.sign(new ECDSASigner(key));
    return t.serialize();
  }

  private static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }
}
