package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Goal: {@code tributary certs} parses its options into the files docs/security.md promises, and
 * refuses a malformed {@code --node}. Method: the picocli command run in this JVM into a temporary
 * directory. (What the files contain is checked in the server's {@code DevCertificatesTest}.)
 */
class CertsCommandTest {
  @Test
  void writesTheCaNodeAndClientFilesAndReusesTheCa(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("certs");
    int code = new CommandLine(new TributaryCli()).execute("certs", "--out", out.toString(), "--node", "n1=127.0.0.1,localhost",
        "--node", "n2=10.0.0.2", "--client", "ops");
    assertThat(code).isZero();
    for (String f : new String[] {"ca.crt", "ca.key", "n1.crt", "n1.key", "n2.crt", "n2.key", "ops.crt", "ops.key"}) {
      assertThat(out.resolve(f)).isRegularFile();
    }
    byte[] ca = Files.readAllBytes(out.resolve("ca.crt"));
    byte[] n1 = Files.readAllBytes(out.resolve("n1.crt"));
    assertThat(new CommandLine(new TributaryCli()).execute("certs", "--out", out.toString(), "--node", "n1=127.0.0.1")).isZero();
    assertThat(Files.readAllBytes(out.resolve("ca.crt"))).as("the CA is reused").isEqualTo(ca);
    assertThat(Files.readAllBytes(out.resolve("n1.crt"))).as("n1 is renewed").isNotEqualTo(n1);

    assertThat(new CommandLine(new TributaryCli()).execute("certs", "--out", out.toString(), "--node", "n3=")).isEqualTo(2);
    assertThat(new CommandLine(new TributaryCli()).execute("certs", "--out", out.toString())).isEqualTo(2);
  }
}
