package io.tributary.group;

import io.tributary.config.TributaryConfig;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Fetches a verified segment range from a peer's node-to-node route
 * ({@code GET /internal/segment/{group}?from=&to=}) for {@link SegmentRepair}. Runs on the repair
 * thread (blocking I/O is fine there).
 *
 * <p>Every wait is bounded by {@code request-timeout-ms}: the response head, and then each stretch
 * without body bytes ({@link IdleDeadline}). A download that hangs (the peer is cut off, not dead)
 * would otherwise hold the repair thread for good; failing it lets the repair try again.
 */
final class HttpSnapshotSource implements SegmentRepair.PeerRanges {
  private final TributaryConfig config;
  private final HttpClient http;
  private final Duration stallMax;
  /** True when peers speak mutual TLS: https, this node's certificate, only the cluster CA trusted. */
  private final boolean mutualTls;

  HttpSnapshotSource(TributaryConfig config) {
    this.config = config;
    this.stallMax = Duration.ofMillis(config.requestTimeoutMillis());
    this.mutualTls = config.tls().peerEnabled();
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (mutualTls) {
      try {
        b.sslContext(io.tributary.tls.ClientTls.mutual(config.tls().peerCertFile(), config.tls().peerKeyFile(),
            config.tls().peerCaFile()));
      } catch (IOException | io.tributary.tls.TlsMaterialException e) {
        throw new io.tributary.config.ConfigException("--peer-tls-cert-file: " + e.getMessage());
      }
    }
    this.http = b.build();
  }

  /** The common name of the certificate the peer served, or null. */
  private static String serverName(HttpResponse<?> r) {
    try {
      return r.sslSession().isEmpty() ? null
          : io.tributary.tls.CertificateNames.commonName(r.sslSession().get().getPeerCertificates());
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return null;
    }
  }

  @Override
  public InputStream open(String peerId, int group, long from, long to) throws IOException {
    InputStream in = get(peerId, "/internal/segment/" + group + "?from=" + from + "&to=" + to, to - from);
    if (in == null) {
      throw new IOException(peerId + " is busy (503) serving segment range [" + from + ", " + to + ")");
    }
    return in;
  }

  /**
   * The body of a 200 from the peer's {@code pathAndQuery} (its length checked when
   * {@code expectBytes >= 0}), null on a 503, else an {@link IOException} naming the status and
   * the peer's reason.
   */
  private InputStream get(String peerId, String pathAndQuery, long expectBytes) throws IOException {
    TributaryConfig.Peer peer = config.peers().stream().filter(p -> p.id().equals(peerId)).findFirst()
        .orElseThrow(() -> new IOException("unknown peer " + peerId));
    URI uri = URI.create((mutualTls ? "https://" : "http://") + peer.host() + ":" + peer.dataPort() + pathAndQuery);
    try {
      HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(stallMax).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      if (mutualTls && !peerId.equals(serverName(r))) {
        // the CA vouches for the certificate, the name says which node holds it
        r.body().close();
        throw new IOException(uri + " presented a certificate for '" + serverName(r) + "', not " + peerId);
      }
      if (r.statusCode() == 503) {
        r.body().close();
        return null;
      }
      if (r.statusCode() != 200) {
        String reason;
        try (InputStream body = r.body()) {
          reason = new String(body.readNBytes(512), java.nio.charset.StandardCharsets.UTF_8);
        }
        throw new IOException(uri + " answered " + r.statusCode() + ": " + reason);
      }
      long length = r.headers().firstValueAsLong("content-length").orElse(-1);
      if (expectBytes >= 0 && length != expectBytes) {
        r.body().close();
        throw new IOException(uri + " announced " + length + " bytes, not " + expectBytes);
      }
      return new IdleDeadline(r.body(), stallMax, uri.toString());
    } catch (HttpTimeoutException e) {
      throw new IOException(uri + " sent no response head within " + stallMax.toMillis() + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted fetching " + uri, e);
    }
  }

  /**
   * A body stream that fails once no byte arrived for {@code stallMax}: a check on the JDK's shared
   * delay scheduler, re-armed while bytes flow, closes the stream (which wakes a blocked read) and
   * makes every read throw. The reading thread is the download thread; the check only sets flags
   * and closes.
   */
  static final class IdleDeadline extends FilterInputStream {
    private final long stallMaxNanos;
    private final String what;
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile boolean expired;
    private volatile boolean closed;

    IdleDeadline(InputStream in, Duration stallMax, String what) {
      super(in);
      this.stallMaxNanos = stallMax.toNanos();
      this.what = what;
      arm(stallMaxNanos);
    }

    private void arm(long delayNanos) {
      CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS).execute(this::check);
    }

    private void check() {
      if (closed) {
        return;
      }
      long idle = System.nanoTime() - lastProgressNanos;
      if (idle < stallMaxNanos) {
        arm(stallMaxNanos - idle);
        return;
      }
      expired = true;
      try {
        in.close();
      } catch (IOException e) {
        // the read that follows reports the stall; this close only has to wake it
        LoggerFactory.getLogger(HttpSnapshotSource.class).debug("closing stalled {} failed", what, e);
      }
    }

    private int progress(int n) throws IOException {
      if (expired) {
        throw stalled(null);
      }
      if (n > 0) {
        lastProgressNanos = System.nanoTime();
      }
      return n;
    }

    /** What a read that the stall check cut short (the stream closed under it) reports. */
    private IOException stalled(IOException cause) {
      return new IOException(what + ": no bytes for " + TimeUnit.NANOSECONDS.toMillis(stallMaxNanos) + " ms",
          cause);
    }

    @Override
    public int read() throws IOException {
      try {
        int b = super.read();
        progress(b < 0 ? -1 : 1);
        return b;
      } catch (IOException e) {
        throw expired ? stalled(e) : e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return progress(super.read(b, off, len));
      } catch (IOException e) {
        throw expired ? stalled(e) : e;
      }
    }

    @Override
    public void close() throws IOException {
      closed = true;
      super.close();
    }
  }
}
