/**
 * Certificates and keys: reading a listener's PEM certificate chain and private key (PKCS#8,
 * PKCS#1 or SEC1) and checking that they belong together ({@link io.tributary.tls.PemMaterial}),
 * the development CA behind {@code tributary certs} ({@link io.tributary.tls.DevCertificates}), and
 * who counts as a node on the peer plane ({@link io.tributary.tls.PeerTrust}, {@link io.tributary.tls.CertificateNames}).
 * The only package that uses BouncyCastle; imports nothing of Tributary's. Plain functions, no
 * threads: callers run them off the event loops.
 */
package io.tributary.tls;
