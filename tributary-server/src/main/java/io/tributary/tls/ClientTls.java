package io.tributary.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The client side of mutual TLS between nodes: an {@link SSLContext} that presents this node's
 * certificate and trusts only the cluster CA. Built once, on the caller's thread; immutable.
 */
public final class ClientTls {
  private ClientTls() {}

  /** Loads and checks the pair and the CA; {@link TlsMaterialException} says what is wrong. */
  public static SSLContext mutual(Path certFile, Path keyFile, Path caFile) throws IOException, TlsMaterialException {
    KeyManagerFactory kmf = PeerTrust.keyManagers(certFile, keyFile);
    TrustManagerFactory tmf = PeerTrust.authorityTrust(PeerTrust.authorities(caFile));
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new TlsMaterialException("cannot build the peer TLS context: " + e.getMessage(), e);
    }
  }
}
