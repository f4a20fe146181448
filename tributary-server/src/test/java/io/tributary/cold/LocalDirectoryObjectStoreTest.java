package io.tributary.cold;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Goal: the directory store keeps the {@link ObjectStoreContract} and its own promises: keys map
 * to files under the root and nowhere else, a put leaves no temp file behind, deletes tidy empty
 * directories, and a key that would need a file and a directory of one name is refused. Method:
 * the shared contract on a fresh temp directory, plus file-system checks after each operation.
 */
class LocalDirectoryObjectStoreTest extends ObjectStoreContract {
  private Path root;

  @Override
  protected ObjectStore newStore() {
    root = tmp.resolve("objects");
    return new LocalDirectoryObjectStore(root);
  }

  @Test
  void objectsAreFilesAtTheirKeyAndNoTempFilesRemain() throws Exception {
    assertThat(root).as("constructing a store creates nothing").doesNotExist();
    byte[] data = randomBytes(1000);
    store.put("g1/s2/0-1000.chunk", data);
    assertThat(Files.readAllBytes(root.resolve("g1/s2/0-1000.chunk"))).isEqualTo(data);
    try (Stream<Path> all = Files.walk(root)) {
      assertThat(all.filter(Files::isRegularFile).map(p -> root.relativize(p).toString())).containsExactly("g1/s2/0-1000.chunk");
    }
  }

  @Test
  void deletingTheLastObjectOfADirectoryRemovesEmptyDirectoriesButNotTheRoot() {
    store.put("g1/s1/a", randomBytes(1));
    store.put("g1/s2/b", randomBytes(1));
    store.delete("g1/s1/a");
    assertThat(root.resolve("g1/s1")).doesNotExist();
    assertThat(root.resolve("g1/s2/b")).exists();
    store.delete("g1/s2/b");
    assertThat(root.resolve("g1")).doesNotExist();
    assertThat(root).isDirectory();
    store.put("g1/s1/a", randomBytes(1)); // and the tree grows again
    assertThat(store.listAll("")).extracting(ObjectInfo::key).containsExactly("g1/s1/a");
  }

  @Test
  void aKeyCannotBeBothAnObjectAndADirectory() {
    store.put("a/b", randomBytes(1));
    assertThatThrownBy(() -> store.put("a", randomBytes(1))).isInstanceOf(ObjectStoreRejectedException.class);
    assertThatThrownBy(() -> store.get("a")).isInstanceOf(ObjectNotFoundException.class);
    assertThatThrownBy(() -> store.head("a")).isInstanceOf(ObjectNotFoundException.class);
    store.delete("a"); // nothing to delete: no object has that key
    assertThat(store.get("a/b")).hasSize(1);
    store.put("x", randomBytes(1));
    assertThatThrownBy(() -> store.put("x/y", randomBytes(1))).isInstanceOf(ObjectStoreRejectedException.class);
    assertThatThrownBy(() -> store.get("x/y")).isInstanceOf(ObjectNotFoundException.class);
    store.delete("x/y");
  }

  @Test
  void strayTempFilesOfACrashedPutAreNotListedAndDoNotBlockPuts() throws Exception {
    Files.createDirectories(root.resolve("g1"));
    Files.write(root.resolve("g1/.c.1234.tmp"), new byte[] {1, 2, 3});
    assertThat(store.listAll("")).isEmpty();
    store.put("g1/c", randomBytes(5));
    assertThat(store.listAll("g1/")).extracting(ObjectInfo::key).containsExactly("g1/c");
  }

  @Test
  void anUnreadableRootIsAnErrorNotAnEmptyStore() throws Exception {
    Files.writeString(tmp.resolve("file"), "not a directory");
    try (ObjectStore s = new LocalDirectoryObjectStore(tmp.resolve("file"))) {
      assertThatThrownBy(s::check).isInstanceOf(ObjectStoreRejectedException.class);
      assertThatThrownBy(() -> s.put("k", new byte[1])).isInstanceOf(ObjectStoreRejectedException.class);
    }
    try (ObjectStore s = new LocalDirectoryObjectStore(tmp.resolve("file/below"))) {
      assertThatThrownBy(s::check).isInstanceOf(ObjectStoreRejectedException.class);
    }
    store.check();
    assertThat(root).as("check creates nothing").doesNotExist();
  }
}
