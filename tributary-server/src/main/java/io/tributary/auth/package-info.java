/**
 * Who is asking and what they may do: bearer tokens (API keys from a file, JWTs verified with
 * Nimbus JOSE+JWT) turned into a {@link io.tributary.auth.Principal} holding
 * {@link io.tributary.auth.Grant}s. No crypto of our own: hashing and signature checks are the
 * JDK's and Nimbus's. Verification is CPU only (safe on an event loop); key material that must be
 * fetched or re-read (JWKS file or URL) is refreshed on this package's own background thread and
 * published as an immutable view. May import {@code common} and {@code config}, and Nimbus (only
 * here).
 */
package io.tributary.auth;
