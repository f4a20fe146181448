package io.tributary.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.StreamKey;
import io.tributary.testing.LocalNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the four route families address one stream, buckets can be created, listed (paged) and
 * deleted only when empty, and Ursula's paths ({@code /{bucket}}, {@code /{bucket}/streams},
 * {@code /{bucket}/{stream}/snapshot|retention|bootstrap}) resolve as Ursula means them while the
 * other families keep {@code $} extensions. Method: {@link RouteFamilies#resolve} on paths for the
 * parsing, a real node in-process with plain HTTP requests for the behaviour.
 */
class RouteFamiliesTest {
  @TempDir
  static Path dir;
  static LocalNode node;

  @BeforeAll
  static void start() throws Exception {
    node = new LocalNode(dir, Map.of());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static final String OFFSET = "0000000000000000_0000000000000042";

  @Test
  void allFamiliesAddressTheSameStream() throws Exception {
    assertThat(node.send("PUT", "/v1/stream/shared-one", "text/plain", "a").statusCode()).isEqualTo(201);
    assertThat(node.send("POST", "/ds/default/shared-one", "text/plain", "b").statusCode()).isEqualTo(204);
    assertThat(node.send("POST", "/default/shared-one", "text/plain", "c").statusCode()).isEqualTo(204);
    assertThat(node.send("GET", "/streams/shared-one?offset=-1", null, null).body()).isEqualTo("abc");
    assertThat(node.send("GET", "/v1/stream/shared-one?offset=-1", null, null).body()).isEqualTo("abc");
  }

  @Test
  void namesWithSlashesAreReachedThroughDsAndV1ButNotThroughTheUrsulaFamily() throws Exception {
    assertThat(node.send("PUT", "/v1/stream/shared/two", "text/plain", "a").statusCode()).isEqualTo(201);
    assertThat(node.send("POST", "/ds/default/shared/two", "text/plain", "b").statusCode()).isEqualTo(204);
    var deep = node.send("POST", "/default/shared/two", "text/plain", "c");
    assertThat(deep.statusCode()).isEqualTo(404);
    assertThat(deep.body()).contains("one path segment", "/ds/default/");
    assertThat(node.send("GET", "/v1/stream/shared/two?offset=-1", null, null).body()).isEqualTo("ab");
  }

  @Test
  void ursulaExtensionPathsMapOntoTheDollarExtensions() {
    RouteFamilies.Target publish = RouteFamilies.resolve("/app/doc/snapshot/" + OFFSET);
    assertThat(publish.kind()).isEqualTo(RouteFamilies.Kind.STREAM);
    assertThat(publish.key()).isEqualTo(new StreamKey("app", "doc"));
    assertThat(publish.ext()).isEqualTo("$snapshot");
    assertThat(publish.extArg()).isEqualTo(OFFSET);

    RouteFamilies.Target latest = RouteFamilies.resolve("/app/doc/snapshot");
    assertThat(latest.ext()).isEqualTo("$snapshot");
    assertThat(latest.extArg()).isNull();
    assertThat(RouteFamilies.resolve("/app/doc/retention/" + OFFSET).ext()).isEqualTo("$retention");
    assertThat(RouteFamilies.resolve("/app/doc/bootstrap").ext()).isEqualTo("$bootstrap");
    // the '$' form works on this family too, and reaches the extensions Ursula has no path for
    assertThat(RouteFamilies.resolve("/app/doc/$attrs").ext()).isEqualTo("$attrs");
    RouteFamilies.Target stream = RouteFamilies.resolve("/app/doc");
    assertThat(stream.key()).isEqualTo(new StreamKey("app", "doc"));
    assertThat(stream.ext()).isNull();
  }

  @Test
  void onTheUrsulaFamilyAStreamNameIsOneSegmentOrAnAffinityKeyAndOne() {
    RouteFamilies.Target deep = RouteFamilies.resolve("/app/doc/snapshot-like/x");
    assertThat(deep.kind()).isEqualTo(RouteFamilies.Kind.NONE);
    assertThat(deep.error()).contains("one path segment");
    assertThat(RouteFamilies.resolve("/app/doc/snapshot/" + OFFSET + "/more").kind())
        .isEqualTo(RouteFamilies.Kind.NONE);
    assertThat(RouteFamilies.resolve("/app/doc/bootstrap/x/y").kind()).isEqualTo(RouteFamilies.Kind.NONE);
    assertThat(RouteFamilies.resolve("/app/doc/snapshot/").kind()).isEqualTo(RouteFamilies.Kind.INVALID);

    RouteFamilies.Target affinity = RouteFamilies.resolve("/app/@room/doc/snapshot");
    assertThat(affinity.key()).isEqualTo(new StreamKey("app", "@room/doc"));
    assertThat(affinity.ext()).isEqualTo("$snapshot");
    RouteFamilies.Target tx = RouteFamilies.resolve("/app/@room/$transaction");
    assertThat(tx.key()).isEqualTo(new StreamKey("app", "@room"));
    assertThat(tx.ext()).isEqualTo("$transaction");
  }

  @Test
  void otherFamiliesKeepDollarSegmentsAndReadUrsulaWordsAsNameSegments() {
    RouteFamilies.Target ds = RouteFamilies.resolve("/ds/app/doc/snapshot/" + OFFSET);
    assertThat(ds.key()).isEqualTo(new StreamKey("app", "doc/snapshot/" + OFFSET));
    assertThat(ds.ext()).isNull();
    RouteFamilies.Target v1 = RouteFamilies.resolve("/v1/stream/chat/room1/$snapshot/" + OFFSET);
    assertThat(v1.key()).isEqualTo(new StreamKey("default", "chat/room1"));
    assertThat(v1.ext()).isEqualTo("$snapshot");
  }

  @Test
  void ursulaBucketPathsAreBucketOperations() {
    assertThat(RouteFamilies.resolve("/app").kind()).isEqualTo(RouteFamilies.Kind.BUCKET);
    assertThat(RouteFamilies.resolve("/app").bucket()).isEqualTo("app");
    assertThat(RouteFamilies.resolve("/app/").kind()).isEqualTo(RouteFamilies.Kind.BUCKET);
    RouteFamilies.Target list = RouteFamilies.resolve("/app/streams");
    assertThat(list.kind()).isEqualTo(RouteFamilies.Kind.BUCKET_STREAMS);
    assertThat(list.bucket()).isEqualTo("app");
    // a lone segment that is no bucket name is an unknown path (scanners probing /.env get 404)
    assertThat(RouteFamilies.resolve("/.env").kind()).isEqualTo(RouteFamilies.Kind.NONE);
    assertThat(RouteFamilies.resolve("/.env").error()).contains("not a bucket name");
    assertThat(RouteFamilies.resolve("/Bad/x").kind()).isEqualTo(RouteFamilies.Kind.INVALID);
    assertThat(RouteFamilies.resolve("/v1").kind()).isEqualTo(RouteFamilies.Kind.NONE);
    assertThat(RouteFamilies.resolve("/").kind()).isEqualTo(RouteFamilies.Kind.NONE);
  }

  @Test
  void ursulaBucketLifecycle() throws Exception {
    assertThat(node.send("PUT", "/tenant-a", null, null).statusCode()).isEqualTo(201);
    assertThat(node.send("PUT", "/tenant-a", null, null).statusCode()).isEqualTo(200);
    assertThat(node.send("PUT", "/tenant-a/log", "text/plain", "x").statusCode()).isEqualTo(201);
    var list = node.send("GET", "/tenant-a/streams", null, null);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).contains("\"bucket\":\"tenant-a\"", "\"name\":\"log\"");
    assertThat(node.send("PUT", "/tenant-a/streams", "text/plain", "x").statusCode()).isEqualTo(405);
    assertThat(node.send("DELETE", "/tenant-a", null, null).statusCode()).isEqualTo(409);
    assertThat(node.send("DELETE", "/tenant-a/log", null, null).statusCode()).isEqualTo(204);
    assertThat(node.send("DELETE", "/tenant-a", null, null).statusCode()).isEqualTo(204);
    assertThat(node.send("GET", "/tenant-a/streams", null, null).statusCode()).isEqualTo(404);
  }

  @Test
  void bucketsHaveALifecycle() throws Exception {
    assertThat(node.send("PUT", "/ds/nobucket/s", "text/plain", null).statusCode()).isEqualTo(404);
    assertThat(node.send("PUT", "/ds/photos", null, null).statusCode()).isEqualTo(201);
    assertThat(node.send("PUT", "/ds/photos", null, null).statusCode()).isEqualTo(200);
    for (int i = 0; i < 5; i++) {
      assertThat(node.send("PUT", "/ds/photos/s" + i, "text/plain", "x").statusCode()).isEqualTo(201);
    }
    var page1 = node.send("GET", "/ds/photos?limit=3", null, null);
    assertThat(page1.statusCode()).isEqualTo(200);
    assertThat(page1.body()).contains("\"s0\"", "\"s1\"", "\"s2\"").doesNotContain("\"s3\"").contains("\"next\":\"s2\"");
    var page2 = node.send("GET", "/ds/photos?limit=3&after=s2", null, null);
    assertThat(page2.body()).contains("\"s3\"", "\"s4\"").contains("\"next\":null");
    assertThat(node.send("GET", "/ds", null, null).body()).contains("\"photos\"", "\"default\"");
    assertThat(node.send("DELETE", "/ds/photos", null, null).statusCode()).isEqualTo(409);
    for (int i = 0; i < 5; i++) {
      assertThat(node.send("DELETE", "/photos/s" + i, null, null).statusCode()).isEqualTo(204);
    }
    assertThat(node.send("DELETE", "/ds/photos", null, null).statusCode()).isEqualTo(204);
    assertThat(node.send("GET", "/ds/photos", null, null).statusCode()).isEqualTo(404);
    assertThat(node.send("PUT", "/ds/BAD!", null, null).statusCode()).isEqualTo(400);
    assertThat(node.send("PUT", "/ds/v1", null, null).statusCode()).isEqualTo(400);
  }
}
