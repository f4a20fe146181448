package io.tributary;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Goal: the layers {@code http → service → group → state → storage → cold} have no back-edges,
 * and third-party frameworks stay in their layer (Netty HTTP only in http, SOFAJRaft and its gRPC only in group.jraft, the AWS SDK only in cold's S3 store, BouncyCastle only in tls). Method: read every main source file's imports and
 * check them against the allowed table below; also require a package-info.java per package.
 */
class LayeringTest {
  private static final Path SRC = Path.of("src/main/java/io/tributary");
  private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);

  /** Project packages each package may import (besides itself). */
  private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
      Map.entry("common", Set.of()),
      Map.entry("auth", Set.of("common", "config")),
      Map.entry("tls", Set.of()),
      Map.entry("config", Set.of("common")),
      Map.entry("cold", Set.of("common")),
      Map.entry("storage", Set.of("common", "cold")),
      Map.entry("state", Set.of("common", "storage", "cold")),
      Map.entry("group", Set.of("common", "config", "state", "storage", "cold", "tls")),
      Map.entry("group.jraft", Set.of("common", "config", "group", "state", "storage", "cold", "tls")),
      Map.entry("service", Set.of("common", "config", "group", "state", "storage", "cold")),
      Map.entry("service.subscription", Set.of("common", "config", "service")),
      Map.entry("http", Set.of("common", "config", "service", "auth", "tls")),
      Map.entry("node", Set.of("common", "config", "http", "service", "group", "state", "storage", "cold", "auth")));

  /** The tributary-protocol module (header names, offsets, error reasons): a leaf every layer may use. */
  private static final String SHARED_WIRE_VOCABULARY = "io.tributary.protocol.";

  /** Third-party prefixes and the packages allowed to use them. */
  private static final Map<String, Set<String>> FRAMEWORKS = Map.of(
      "io.netty.handler.codec.http", Set.of("http"),
      "io.netty", Set.of("http"),
      "com.alipay.sofa.jraft", Set.of("group.jraft"),
      // SOFAJRaft's transport (rpc-grpc-impl: gRPC over grpc-netty-shaded)
      "io.grpc", Set.of("group.jraft"),
      "software.amazon.awssdk", Set.of("cold"),
      "com.nimbusds", Set.of("auth"),
      "org.bouncycastle", Set.of("tls"));

  @Test
  void importsFollowTheLayering() throws IOException {
    List<String> violations = new ArrayList<>();
    try (Stream<Path> files = Files.walk(SRC)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String pkg = SRC.relativize(f.getParent()).toString().replace('/', '.');
        assertThat(ALLOWED).as("package %s is not in the layering table", pkg).containsKey(pkg);
        Matcher m = IMPORT.matcher(Files.readString(f));
        while (m.find()) {
          String imp = m.group(1);
          if (imp.startsWith("io.tributary.") && !imp.startsWith(SHARED_WIRE_VOCABULARY)) {
            String target = imp.substring("io.tributary.".length()).split("\\.")[0];
            if (!target.equals(pkg) && !ALLOWED.get(pkg).contains(target)) {
              violations.add(f + ": " + pkg + " must not import " + imp);
            }
          }
          for (Map.Entry<String, Set<String>> fw : FRAMEWORKS.entrySet()) {
            if (imp.startsWith(fw.getKey() + ".") && !fw.getValue().contains(pkg)) {
              violations.add(f + ": " + pkg + " must not use " + imp);
            }
          }
        }
      }
    }
    assertThat(violations).isEmpty();
  }

  /** Within cold, only the S3 store touches the SDK, so the rest of the tier stays testable without it. */
  @Test
  void onlyTheS3ObjectStoreUsesTheAwsSdk() throws IOException {
    List<String> users = new ArrayList<>();
    try (Stream<Path> files = Files.walk(SRC)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        if (Files.readString(f).contains("import software.amazon.awssdk.")) {
          users.add(SRC.relativize(f).toString());
        }
      }
    }
    assertThat(users).containsExactly("cold/S3ObjectStore.java");
  }

  @Test
  void everyPackageDocumentsItsRole() throws IOException {
    try (Stream<Path> dirs = Files.list(SRC)) {
      for (Path d : dirs.filter(Files::isDirectory).toList()) {
        assertThat(d.resolve("package-info.java")).as("package-info in %s", d).exists();
      }
    }
  }
}
