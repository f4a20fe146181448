package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Goal: {@code tributary keys new} prints a fresh key once and a key-file line holding only its
 * SHA-256 and the grants, appends it with {@code --file}, and refuses malformed grants. Method:
 * the picocli command in this JVM; the printed key is hashed here and compared with the line.
 */
class KeysCommandTest {
  @Test
  void newKeyLineHoldsTheDigestAndTheGrants(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("keys");
    PrintStream saved = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = new CommandLine(new TributaryCli()).execute("keys", "new", "--name", "ci", "--grant", "read,append:tenant-a/chat/",
          "--grant", "admin:*", "--file", file.toString());
    } finally {
      System.setOut(saved);
    }
    assertThat(code).isZero();
    String printed = out.toString(StandardCharsets.UTF_8);
    String key = printed.lines().filter(l -> l.startsWith("key ")).findFirst().orElseThrow().replaceAll(".*: ", "");
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    assertThat(Files.readString(file)).isEqualTo("ci " + hash + " read,append:tenant-a/chat/ admin:*\n");
    assertThat(Files.readString(file)).doesNotContain(key);

    assertThat(new CommandLine(new TributaryCli()).execute("keys", "new", "--name", "x", "--grant", "read")).isEqualTo(2);
    assertThat(new CommandLine(new TributaryCli()).execute("keys", "new", "--name", "x y", "--grant", "read:a")).isEqualTo(2);
  }
}
