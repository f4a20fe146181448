package io.tributary.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.tributary.config.ConfigException;
import io.tributary.config.TlsConfig;
import io.tributary.tls.PemMaterial;
import io.tributary.tls.TlsMaterialException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS side of one listener: the certificate it serves, and its reload without a restart.
 *
 * <p>{@link #newHandler} gives each new connection an {@code SslHandler} of the current
 * {@link SslContext}, an immutable object behind a volatile reference: a reload swaps the
 * reference, so new connections get the new certificate while open ones keep the one they
 * handshook with. The reload runs on this object's own thread ({@code tls-reload-<plane>}), never
 * on an event loop: every {@code tls-reload-interval-ms} it reads both files, and when their
 * content (SHA-256 of both) differs from what it last loaded, it parses and checks the pair
 * ({@link PemMaterial#parse}: the key must sign for the leaf, the chain be in order, the leaf be
 * valid now). A pair that fails the check is logged and counted once per content and the context
 * in use kept: a certificate written before its key looks exactly like that, and the next check
 * after the key lands loads both. A failed pair is checked again every interval, so a certificate
 * whose validity begins a little later is loaded once it begins. Files are read whole, each at most {@link PemMaterial#FILE_BYTES_MAX}.
 *
 * <p>Protocols TLS 1.3 and 1.2, the JDK's provider and cipher suites; HTTP/1.1 only (no ALPN).
 * Key bytes are never logged; a rejected pair is described by its file names and the problem.
 */
public final class ServerTls implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

  private final Plane plane;
  private final Path certFile;
  private final Path keyFile;
  /** CAs whose certificates clients must present (mutual TLS on the peer plane), or null. */
  private final List<X509Certificate> clientCas;
  private final ScheduledExecutorService reloader;
  private final AtomicLong reloads = new AtomicLong();
  private final AtomicLong rejections = new AtomicLong();
  /** What new connections handshake with; replaced whole by the reload thread. */
  private volatile Loaded current;
  /** Digest of the last pair that failed the check (reload thread only), so it is logged and counted once. */
  private byte[] rejectedDigest;
  /** True while a check could not read the files (reload thread only), so that is logged once. */
  private boolean unreadable;

  private record Loaded(SslContext context, X509Certificate leaf, byte[] digest) {}

  private ServerTls(Plane plane, Path certFile, Path keyFile, List<X509Certificate> clientCas, Loaded first,
      long reloadIntervalMillis) {
    this.plane = plane;
    this.clientCas = clientCas;
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.current = first;
    if (reloadIntervalMillis > 0) {
      reloader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tls-reload-" + plane.label());
        t.setDaemon(true);
        return t;
      });
      reloader.scheduleWithFixedDelay(this::check, reloadIntervalMillis, reloadIntervalMillis, TimeUnit.MILLISECONDS);
    } else {
      reloader = null;
    }
  }

  /**
   * The TLS of {@code plane}'s listener, or null when it serves plain HTTP. Loads and checks the
   * pair on the caller's thread; a pair that cannot serve is a {@link ConfigException}, so the
   * node fails to start with the reason.
   */
  public static ServerTls open(Plane plane, TlsConfig tls) {
    Path cert = switch (plane) {
      case CLIENT -> tls.certFile();
      case ADMIN -> tls.adminCertFile();
      case PEER -> tls.peerCertFile();
    };
    if (cert == null) {
      return null;
    }
    Path key = switch (plane) {
      case CLIENT -> tls.keyFile();
      case ADMIN -> tls.adminKeyFile();
      case PEER -> tls.peerKeyFile();
    };
    String flag = switch (plane) {
      case CLIENT -> "--tls-cert-file";
      case ADMIN -> "--admin-tls-cert-file";
      case PEER -> "--peer-tls-cert-file";
    };
    Loaded first;
    List<X509Certificate> clientCas = null;
    try {
      if (plane == Plane.PEER) {
        clientCas = PemMaterial.certificates(read(tls.peerCaFile()), tls.peerCaFile().toString());
      }
      first = load(cert, key, clientCas);
    } catch (IOException | TlsMaterialException e) {
      throw new ConfigException(flag + ": cannot serve TLS on the " + plane.label() + " listener: " + e.getMessage());
    }
    LOG.info("{} listener: TLS with {}{}", plane.label(), describe(first.leaf()),
        clientCas == null ? "" : "; clients need a certificate from the cluster CA");
    return new ServerTls(plane, cert, key, clientCas, first, tls.reloadIntervalMillis());
  }

  /** A handler for a new connection, with the certificate in use now. */
  SslHandler newHandler(ByteBufAllocator alloc) {
    return current.context().newHandler(alloc);
  }

  /** Re-reads the files; runs on the reload thread. */
  void check() {
    try {
      byte[] cert = read(certFile);
      byte[] key = read(keyFile);
      unreadable = false;
      byte[] digest = digest(cert, key);
      if (Arrays.equals(digest, current.digest())) {
        Arrays.fill(key, (byte) 0);
        return;
      }
      Loaded next;
      try {
        next = build(cert, key);
      } catch (TlsMaterialException e) {
        if (Arrays.equals(digest, rejectedDigest)) {
          return; // the same files as last time: said already
        }
        rejectedDigest = digest;
        rejections.incrementAndGet();
        LOG.warn("{} listener: keeping {}; the changed files do not serve: {}", plane.label(), describe(current.leaf()),
            e.getMessage());
        return;
      }
      current = next;
      rejectedDigest = null;
      reloads.incrementAndGet();
      LOG.info("{} listener: new connections get {}", plane.label(), describe(next.leaf()));
    } catch (IOException e) {
      // a file moved away mid-rotation: the next check reads it again (said once until it is back)
      if (unreadable) {
        return;
      }
      unreadable = true;
      LOG.warn("{} listener: cannot read its certificate or key file, keeping {}: {}", plane.label(), describe(current.leaf()),
          e.toString());
    } catch (RuntimeException e) {
      LOG.error("{} listener: certificate reload failed, keeping {}", plane.label(), describe(current.leaf()), e);
    }
  }

  /** Prometheus lines of this listener's TLS, after {@link #metricsHeader}. */
  public String metrics() {
    String l = "{listener=\"" + plane.label() + "\"}";
    return "tributary_tls_certificate_not_after_seconds" + l + ' ' + current.leaf().getNotAfter().toInstant().getEpochSecond() + '\n'
        + "tributary_tls_reloads_total" + l + ' ' + reloads.get() + '\n'
        + "tributary_tls_reloads_rejected_total" + l + ' ' + rejections.get() + '\n';
  }

  public static String metricsHeader() {
    return "# HELP tributary_tls_certificate_not_after_seconds end of validity of the certificate a listener serves (unix time)\n"
        + "# TYPE tributary_tls_certificate_not_after_seconds gauge\n"
        + "# HELP tributary_tls_reloads_total certificate and key pairs loaded after start\n"
        + "# TYPE tributary_tls_reloads_total counter\n"
        + "# HELP tributary_tls_reloads_rejected_total changed certificate and key pairs that failed the check (the old one is kept)\n"
        + "# TYPE tributary_tls_reloads_rejected_total counter\n";
  }

  @Override
  public void close() {
    if (reloader != null) {
      reloader.shutdownNow();
    }
  }

  private Loaded build(byte[] cert, byte[] key) throws TlsMaterialException {
    return build(certFile, cert, keyFile, key, clientCas);
  }

  private static Loaded load(Path certFile, Path keyFile, List<X509Certificate> clientCas)
      throws IOException, TlsMaterialException {
    return build(certFile, read(certFile), keyFile, read(keyFile), clientCas);
  }

  /** Parses, checks and builds a context from the files' bytes; zeroes {@code key} before it returns. */
  private static Loaded build(Path certFile, byte[] cert, Path keyFile, byte[] key, List<X509Certificate> clientCas)
      throws TlsMaterialException {
    try {
      PemMaterial m = PemMaterial.parse(cert, certFile.toString(), key, keyFile.toString(), Instant.now());
      SslContextBuilder b = SslContextBuilder.forServer(m.key(), m.chain().toArray(X509Certificate[]::new))
          .sslProvider(SslProvider.JDK)
          .protocols("TLSv1.3", "TLSv1.2");
      if (clientCas != null) {
        b.trustManager(clientCas.toArray(X509Certificate[]::new)).clientAuth(io.netty.handler.ssl.ClientAuth.REQUIRE);
      }
      SslContext context = b.build();
      return new Loaded(context, m.leaf(), digest(cert, key));
    } catch (SSLException e) {
      throw new TlsMaterialException("the TLS engine refuses the pair: " + e.getMessage(), e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static byte[] read(Path file) throws IOException {
    if (Files.size(file) > PemMaterial.FILE_BYTES_MAX) {
      throw new IOException(file + " is larger than " + PemMaterial.FILE_BYTES_MAX + " bytes");
    }
    return Files.readAllBytes(file);
  }

  private static byte[] digest(byte[] cert, byte[] key) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(cert);
      d.update((byte) 0);
      d.update(key);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private static String describe(X509Certificate leaf) {
    return "certificate " + leaf.getSubjectX500Principal().getName() + " serial " + leaf.getSerialNumber().toString(16)
        + " valid until " + leaf.getNotAfter().toInstant();
  }
}
