/**
 * Certificates and keys: reading a listener's PEM certificate chain and private key (PKCS#8,
 * PKCS#1 or SEC1) and checking that they belong together ({@link io.tributary.tls.PemMaterial}),
 * and the development CA behind {@code tributary certs} ({@link io.tributary.tls.DevCertificates}).
 * The only package that uses BouncyCastle; imports nothing of Tributary's. Plain functions, no
 * threads: callers run them off the event loops.
 */
package io.tributary.tls;
