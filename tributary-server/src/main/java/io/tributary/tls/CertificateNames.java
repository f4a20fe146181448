package io.tributary.tls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Which node a peer certificate names: its subject's common name, which {@code tributary certs}
 * sets to the node id. Both ends of the peer plane's mutual TLS compare it with {@code --peers}.
 * Stateless.
 */
public final class CertificateNames {
  private CertificateNames() {}

  /** The CN of the leaf of {@code chain}, or null when there is none. */
  public static String commonName(Certificate[] chain) {
    return chain != null && chain.length > 0 && chain[0] instanceof X509Certificate c
        ? commonName(c.getSubjectX500Principal()) : null;
  }

  /** The CN of {@code subject}, or null when it has none. */
  public static String commonName(X500Principal subject) {
    try {
      for (Rdn rdn : new LdapName(subject.getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }
}
