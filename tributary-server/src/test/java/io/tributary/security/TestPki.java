package io.tributary.security;

import io.tributary.tls.DevCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** A test CA in a directory, node certificates from it, and clients that trust only it. Stateless helpers. */
final class TestPki {
  final Path dir;
  final DevCertificates.Issued ca;

  TestPki(Path dir) throws IOException {
    this.dir = dir;
    this.ca = DevCertificates.newCa("test CA", Instant.now(), Duration.ofDays(2));
    ca.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
  }

  /** A new certificate for 127.0.0.1 and localhost, written to {@code <name>.crt}/{@code <name>.key}. */
  DevCertificates.Issued node(String name) throws IOException {
    DevCertificates.Issued n = DevCertificates.issueNode(ca, name, List.of("127.0.0.1", "localhost"), Instant.now(),
        Duration.ofDays(1));
    n.write(cert(name), key(name));
    return n;
  }

  Path cert(String name) {
    return dir.resolve(name + ".crt");
  }

  Path key(String name) {
    return dir.resolve(name + ".key");
  }

  /** TLS that trusts this CA only. */
  SSLContext clientContext() throws Exception {
    return trusting(ca.certificate());
  }

  static SSLContext trusting(X509Certificate anchor) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", anchor);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(null, tmf.getTrustManagers(), null);
    return c;
  }

  /** A new TLS connection to {@code port}, handshake done (the certificate verified against the CA). */
  SSLSocket connect(int port) throws Exception {
    SSLSocket s = (SSLSocket) clientContext().getSocketFactory().createSocket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout(10_000);
    s.startHandshake();
    return s;
  }

  /** The serial of the certificate a new connection to {@code port} is served. */
  BigInteger servedSerial(int port) throws Exception {
    try (SSLSocket s = connect(port)) {
      return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  /** The status line of {@code GET path} sent over an open connection (kept alive). */
  static String statusLine(SSLSocket s, String path) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) {
      line.append((char) b);
    }
    return line.toString().trim();
  }

  static void copy(Path from, Path to) throws IOException {
    Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
