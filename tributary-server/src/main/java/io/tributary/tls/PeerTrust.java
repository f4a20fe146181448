package io.tributary.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Who is a node on the peer plane's Raft transport, as TLS trust managers: a certificate chain
 * must lead to the cluster CA (PKIX, as the JDK checks it) <em>and</em> its leaf's common name
 * must be a node id ({@link CertificateNames}). The address a peer was dialled at is not checked
 * (no host name verification): a node may be reached through a proxy or a NAT address its
 * certificate does not name ({@code --peer-routes}), so its name is what identifies it.
 *
 * <p>A server side ({@link #acceptingNodes}) refuses a client whose certificate names no node of
 * {@code --peers}; a client side ({@link #expectingNode}) refuses a server that is not the one
 * node it meant to dial. Both refusals fail the handshake: no request is read or sent.
 *
 * <p>Threads: built on the caller's thread; the managers are immutable and called on the TLS
 * engine's threads.
 */
public final class PeerTrust {
  private PeerTrust() {}

  /** A node's key pair as key managers; {@link TlsMaterialException} says what is wrong with the files. */
  public static KeyManagerFactory keyManagers(Path certFile, Path keyFile) throws IOException, TlsMaterialException {
    byte[] key = Files.readAllBytes(keyFile);
    try {
      PemMaterial m = PemMaterial.parse(Files.readAllBytes(certFile), certFile.toString(), key, keyFile.toString(),
          Instant.now());
      char[] none = new char[0];
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, none);
      keys.setKeyEntry("node", m.key(), none, m.chain().toArray(X509Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, none);
      return kmf;
    } catch (GeneralSecurityException e) {
      throw new TlsMaterialException("cannot load the peer key pair " + certFile + ": " + e.getMessage(), e);
    } finally {
      java.util.Arrays.fill(key, (byte) 0);
    }
  }

  /** The CA certificates in {@code caFile}. */
  public static List<X509Certificate> authorities(Path caFile) throws IOException, TlsMaterialException {
    return PemMaterial.certificates(Files.readAllBytes(caFile), caFile.toString());
  }

  /**
   * For a server: clients must present a CA-issued certificate naming one of {@code nodeIds}.
   * {@code refused} is told why each refused client was refused (the server logs it: a handshake
   * failure is otherwise silent on the server side).
   */
  public static X509ExtendedTrustManager acceptingNodes(List<X509Certificate> authorities, Set<String> nodeIds,
      Consumer<String> refused) throws TlsMaterialException {
    return new Named(pkix(authorities), Set.copyOf(nodeIds), "a node of --peers " + nodeIds, refused);
  }

  /** For a client dialling node {@code nodeId}: the server must present a CA-issued certificate naming it. */
  public static X509ExtendedTrustManager expectingNode(List<X509Certificate> authorities, String nodeId)
      throws TlsMaterialException {
    return new Named(pkix(authorities), Set.of(nodeId), "node " + nodeId, why -> { });
  }

  private static X509ExtendedTrustManager pkix(List<X509Certificate> authorities) throws TlsMaterialException {
    for (TrustManager tm : authorityTrust(authorities).getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new TlsMaterialException("the JDK offers no X509 trust manager for the cluster CA");
  }

  /** PKIX trust in exactly {@code authorities} (no system CAs). */
  static TrustManagerFactory authorityTrust(List<X509Certificate> authorities) throws TlsMaterialException {
    try {
      char[] none = new char[0];
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, none);
      for (int i = 0; i < authorities.size(); i++) {
        trust.setCertificateEntry("ca" + i, authorities.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trust);
      return tmf;
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsMaterialException("cannot build the peer trust manager: " + e.getMessage(), e);
    }
  }

  /**
   * PKIX to the CA, then the name check. The engine and socket variants deliberately call the
   * two-argument checks of the PKIX manager: those skip endpoint identification, which gRPC's
   * client turns on ("HTTPS") and which would compare the dialled address with the certificate.
   */
  private static final class Named extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager pkix;
    private final Set<String> names;
    private final String wanted;
    private final Consumer<String> refusedClient;

    Named(X509ExtendedTrustManager pkix, Set<String> names, String wanted, Consumer<String> refusedClient) {
      this.pkix = pkix;
      this.names = names;
      this.wanted = wanted;
      this.refusedClient = refusedClient;
    }

    private void name(X509Certificate[] chain) throws CertificateException {
      String cn = CertificateNames.commonName(chain);
      if (cn == null || !names.contains(cn)) {
        throw new CertificateException("the peer's certificate names '" + cn + "', not " + wanted);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        pkix.checkClientTrusted(chain, authType);
        name(chain);
      } catch (CertificateException e) {
        refusedClient.accept("certificate '" + (chain == null || chain.length == 0 ? "none"
            : chain[0].getSubjectX500Principal().getName()) + "': " + e.getMessage());
        throw e;
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      pkix.checkServerTrusted(chain, authType);
      name(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return pkix.getAcceptedIssuers();
    }
  }
}
