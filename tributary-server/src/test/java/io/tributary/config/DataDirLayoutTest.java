package io.tributary.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a data directory keeps the group count it was created with (streams are placed by hash
 * modulo the count, so another count would hide every stream); auto picks the recorded count, or
 * 1 for a new single node and 8 for a new cluster; an explicit different count is refused with a
 * reason. Method: configs resolved against real directories.
 */
class DataDirLayoutTest {
  @TempDir
  Path dir;

  private TributaryConfig config(Path data, String... kv) {
    Map<String, String> m = new java.util.HashMap<>();
    m.put("data-dir", data.toString());
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return TributaryConfig.fromValues(m);
  }

  @Test
  void autoDependsOnTheClusterForANewDirectoryAndIsThenFixed() {
    Path single = dir.resolve("single");
    assertThat(config(single).groups()).isEqualTo(1);
    assertThat(config(single).describe()).contains("groups = 1");
    assertThat(config(dir.resolve("c"), "node-id", "n1", "peers", "n1=127.0.0.1:4438:8080,n2=127.0.0.1:4439:8081,n3=127.0.0.1:4440:8082")
        .groups()).isEqualTo(3);

    Path four = dir.resolve("four");
    DataDirLayout.record(four, config(four, "groups", "4").groups());
    assertThat(config(four).groups()).as("auto takes the recorded count").isEqualTo(4);
    assertThat(config(four, "groups", "4").groups()).isEqualTo(4);
    assertThatThrownBy(() -> config(four, "groups", "1")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("created with 4 groups").hasMessageContaining("omit --groups");
    DataDirLayout.record(four, 2);
    assertThat(config(four).groups()).as("recording never overwrites").isEqualTo(4);
  }

  @Test
  void aDirectoryFromBeforeTheLayoutFileIsRecognisedByItsGroupDirectories() throws Exception {
    Path old = dir.resolve("old");
    for (int g = 0; g < 8; g++) {
      Files.createDirectories(old.resolve("groups").resolve(String.format("g%03d", g)).resolve("segments"));
    }
    assertThat(config(old).groups()).isEqualTo(8);
    assertThatThrownBy(() -> config(old, "groups", "2")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("created with 8 groups");
  }

  @Test
  void aDamagedLayoutFileIsAConfigErrorNotAGuess() throws Exception {
    Path bad = dir.resolve("bad");
    Files.createDirectories(bad);
    Files.writeString(bad.resolve(DataDirLayout.FILE), "groups=many\n");
    assertThatThrownBy(() -> config(bad)).isInstanceOf(ConfigException.class).hasMessageContaining("groups must be");
  }
}
