package io.tributary.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Verifies JWTs with Nimbus JOSE+JWT: HS256 with a shared secret, and RS/PS/ES-signed tokens with
 * the keys of a JWK set (read through {@code keys}, an immutable set the refresher swaps). Checks
 * the signature, {@code exp} (required), {@code nbf}, and {@code aud}/{@code iss} when configured,
 * with Nimbus's default 60 s clock skew; then reads the grants claim. Thread-safe (the processors
 * are immutable after construction); CPU only.
 */
final class JwtVerifier {
  private static final Set<JWSAlgorithm> ASYMMETRIC = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
      JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256,
      JWSAlgorithm.ES384, JWSAlgorithm.ES512);

  private final DefaultJWTProcessor<SecurityContext> hmac;
  private final DefaultJWTProcessor<SecurityContext> keyed;
  private final String grantsClaim;

  /**
   * @param hs256Secret the shared secret, or null
   * @param keys        the current JWK set, or null when none is configured
   */
  JwtVerifier(byte[] hs256Secret, Supplier<JWKSet> keys, String audience, String issuer, String grantsClaim) {
    this.grantsClaim = grantsClaim;
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audience,
        issuer == null ? null : new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp"));
    this.hmac = hs256Secret == null ? null : processor(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256,
        new ImmutableSecret<>(hs256Secret)), claims);
    JWKSource<SecurityContext> source = keys == null ? null : (selector, ctx) -> selector.select(keys.get());
    this.keyed = source == null ? null : processor(new JWSVerificationKeySelector<>(ASYMMETRIC, source), claims);
  }

  private static DefaultJWTProcessor<SecurityContext> processor(JWSVerificationKeySelector<SecurityContext> keys,
      DefaultJWTClaimsVerifier<SecurityContext> claims) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(keys);
    p.setJWTClaimsSetVerifier(claims);
    return p;
  }

  /** The token's principal, or {@link AuthResult.Rejected} with a reason. {@code unknownKey} is told when no key matched. */
  AuthResult verify(String token, Runnable unknownKey) {
    String alg = algorithm(token);
    DefaultJWTProcessor<SecurityContext> p = alg != null && alg.startsWith("HS") ? hmac : keyed;
    if (p == null) {
      return new AuthResult.Rejected("tokens signed with " + alg + " are not accepted here");
    }
    JWTClaimsSet claims;
    try {
      claims = p.process(token, null);
    } catch (BadJOSEException e) {
      if (String.valueOf(e.getMessage()).contains("no matching key")) {
        unknownKey.run();
      }
      return new AuthResult.Rejected("invalid token: " + e.getMessage());
    } catch (ParseException | JOSEException e) {
      return new AuthResult.Rejected("invalid token: " + e.getMessage());
    }
    List<Grant> grants = new ArrayList<>();
    try {
      for (String g : grantStrings(claims.getClaim(grantsClaim))) {
        grants.add(Grant.parse(g));
      }
    } catch (IllegalArgumentException e) {
      return new AuthResult.Rejected("invalid token: claim " + grantsClaim + ": " + e.getMessage());
    }
    String sub = claims.getSubject();
    return new AuthResult.Authenticated(new Principal(sub == null ? "jwt" : sub, grants));
  }

  private static List<String> grantStrings(Object claim) {
    if (claim == null) {
      return List.of();
    }
    if (claim instanceof String s) {
      return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }
    if (claim instanceof List<?> l) {
      Set<String> out = new HashSet<>();
      for (Object o : l) {
        if (!(o instanceof String s)) {
          throw new IllegalArgumentException("grants must be strings");
        }
        out.add(s);
      }
      return List.copyOf(out);
    }
    throw new IllegalArgumentException("must be an array of strings or a string");
  }

  /** The {@code alg} of a compact JWS's header, or null when it cannot be read (Nimbus then rejects it). */
  private static String algorithm(String token) {
    try {
      return com.nimbusds.jose.JWSHeader.parse(com.nimbusds.jose.util.Base64URL.from(token.substring(0,
          Math.max(0, token.indexOf('.'))))).getAlgorithm().getName();
    } catch (ParseException | RuntimeException e) {
      return null;
    }
  }
}
