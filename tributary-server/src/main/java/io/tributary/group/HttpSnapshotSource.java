package io.tributary.group;

import io.tributary.config.TributaryConfig;
import io.tributary.state.SnapshotSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Fetches a group's snapshot stream from a peer's {@code GET /internal/snapshot/{group}}. Runs on
 * the installing group's download thread (blocking I/O is fine there).
 */
final class HttpSnapshotSource implements SnapshotSource {
  private final TributaryConfig config;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  HttpSnapshotSource(TributaryConfig config) {
    this.config = config;
  }

  @Override
  public InputStream open(String peerId, int group) throws IOException {
    TributaryConfig.Peer peer = config.peers().stream().filter(p -> p.id().equals(peerId)).findFirst()
        .orElseThrow(() -> new IOException("unknown peer " + peerId));
    URI uri = URI.create("http://" + peer.host() + ":" + peer.clientPort() + "/internal/snapshot/" + group);
    try {
      HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      if (r.statusCode() == 503) {
        r.body().close();
        return null; // the peer has no snapshot yet: the follower is sent the log instead
      }
      if (r.statusCode() != 200) {
        r.body().close();
        throw new IOException(uri + " answered " + r.statusCode());
      }
      return r.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted fetching " + uri, e);
    }
  }
}
