package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.AsNobody;
import org.orthoinit.TestImages;

/** Every bad data input: one stderr line naming the file and the fault, exit code 1. */
class DataErrorsTest {

  @TempDir
  Path tmp;

  private Cli train(Path data) {
    return Cli.run(trainArgs(data));
  }

  private String[] trainArgs(Path data) {
    return new String[] {"train", "--data", data.toString(), "--layers", "0", "--epochs", "1",
        "--out", tmp.resolve("out.json").toString()};
  }

  private void assertOneLine(Cli r, String... parts) {
    assertEquals(1, r.code(), r.err());
    String line = r.err().strip();
    assertFalse(line.contains("\n"), "more than one line: " + line);
    for (String p : parts) {
      assertTrue(line.contains(p), "'" + p + "' not in: " + line);
    }
    assertFalse(Files.exists(tmp.resolve("out.json")), "a result was written");
  }

  @Test
  void aBatchWhoseSizeIsNotAMultipleOfTheRecord() throws IOException {
    Path data = TestImages.writeDataset(tmp.resolve("d"), 20, 5);
    Files.write(data.resolve("data_batch_1.bin"), new byte[3073 * 2 + 5]);
    assertOneLine(train(data), "data_batch_1.bin", "6151", "multiple of");
  }

  @Test
  void aLabelAboveNine() throws IOException {
    Path data = TestImages.writeDataset(tmp.resolve("d"), 20, 5);
    byte[] bytes = Files.readAllBytes(data.resolve("test_batch.bin"));
    bytes[3073 * 3] = 12;
    Files.write(data.resolve("test_batch.bin"), bytes);
    assertOneLine(train(data), "test_batch.bin", "label 12");
  }

  @Test
  void missingBatchFiles() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("empty"));
    assertOneLine(train(data), data.toString(), "data_batch_1.bin");
  }

  @Test
  void aMissingTestFile() throws IOException {
    Path data = TestImages.writeDataset(tmp.resolve("d"), 20, 5);
    Files.delete(data.resolve("test_batch.bin"));
    assertOneLine(train(data), "test_batch.bin");
  }

  @Test
  void aFolderThatDoesNotExist() {
    assertOneLine(train(tmp.resolve("nowhere")), "nowhere");
  }

  @Test
  void anUnreadableFolder() throws IOException, InterruptedException {
    Path data = TestImages.writeDataset(tmp.resolve("locked"), 20, 5);
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("---------"));
    try {
      if (Files.isReadable(data)) {
        // root (as in CI) ignores permissions: the command runs as nobody in a process of its own
        assertTrue(AsNobody.root(), data + " is still readable after chmod 000");
        Path out = Files.createDirectories(tmp.resolve("nobody"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        String[] args = trainArgs(data);
        args[args.length - 1] = out.resolve("out.json").toString();
        AsNobody.Result r = AsNobody.run(tmp, Main.class.getName(), args);
        assertOneLine(new Cli(r.code(), r.out(), r.err()), "locked", "not readable");
        try (var written = Files.list(out)) {
          assertEquals(0, written.count(), "files written");
        }
      } else {
        assertOneLine(train(data), "locked", "not readable");
      }
    } finally {
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void aChecksumMismatchLeavesNothingBehind() throws IOException {
    Path archive = Files.write(tmp.resolve("cifar-10-binary.tar.gz"), new byte[1000]);
    Path cache = tmp.resolve("cache");
    Cli r = Cli.run("download", "--url", archive.toUri().toString(), "--dir", cache.toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(r.lastErrLine().contains("MD5"), r.err());
    assertTrue(r.lastErrLine().contains("cifar-10-binary.tar.gz"), r.err());
    try (var files = Files.list(cache)) {
      assertEquals(0, files.count(), "partial files left in the cache");
    }
  }
}
