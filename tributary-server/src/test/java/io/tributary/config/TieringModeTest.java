package io.tributary.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Goal: {@code --tiering auto} (the default) tiers only into S3, so the default single node and
 * the default cluster (directory store, no S3) do no tiering work; {@code on} and {@code off} are
 * what they say. Method: resolve configs from values, no node.
 */
class TieringModeTest {
  private static TributaryConfig config(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return TributaryConfig.fromValues(m);
  }

  private static final String[] S3 = {"object-store", "s3", "s3-endpoint", "http://127.0.0.1:9", "s3-allow-http", "true", "s3-bucket", "bucket",
      "s3-access-key", "k", "s3-secret-key", "s"};

  private static String[] s3(String... more) {
    String[] all = new String[S3.length + more.length];
    System.arraycopy(S3, 0, all, 0, S3.length);
    System.arraycopy(more, 0, all, S3.length, more.length);
    return all;
  }

  @Test
  void autoTiersOnlyIntoS3() {
    assertThat(TributaryConfig.defaults().tiering().enabled()).as("default single node, directory store").isFalse();
    assertThat(config("peers", "n1=127.0.0.1:4438:8080,n2=127.0.0.1:4439:8081,n3=127.0.0.1:4440:8082", "node-id", "n1")
        .tiering().enabled()).as("default 3-node cluster, directory store").isFalse();
    assertThat(config(s3()).tiering().enabled()).as("auto with S3").isTrue();
  }

  @Test
  void onAndOffOverrideAuto() {
    assertThat(config("tiering", "on").tiering().enabled()).as("on, directory store").isTrue();
    assertThat(config(s3("tiering", "off")).tiering().enabled()).as("off, S3").isFalse();
  }

  @Test
  void waitingForTheTierOnlyMakesSenseWhenColdReadsArePreferred() {
    assertThat(config("tiering", "on", "cold-reads-prefer", "true", "cold-reads-wait-ms", "500").tiering().coldReadsWaitMillis())
        .isEqualTo(500);
    assertThat(TributaryConfig.defaults().tiering().coldReadsWaitMillis()).as("default: never wait").isZero();
    assertThatThrownBy(() -> config("tiering", "on", "cold-reads-wait-ms", "500")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("--cold-reads-prefer");
  }
}
