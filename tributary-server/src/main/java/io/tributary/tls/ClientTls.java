package io.tributary.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
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
    byte[] key = Files.readAllBytes(keyFile);
    PemMaterial m = PemMaterial.parse(Files.readAllBytes(certFile), certFile.toString(), key, keyFile.toString(),
        Instant.now());
    java.util.Arrays.fill(key, (byte) 0);
    List<X509Certificate> cas = PemMaterial.certificates(Files.readAllBytes(caFile), caFile.toString());
    try {
      char[] none = new char[0];
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, none);
      keys.setKeyEntry("node", m.key(), none, m.chain().toArray(X509Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, none);
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, none);
      for (int i = 0; i < cas.size(); i++) {
        trust.setCertificateEntry("ca" + i, cas.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new TlsMaterialException("cannot build the peer TLS context: " + e.getMessage(), e);
    }
  }
}
