package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.data.ArchiveSpec;
import org.orthoinit.data.Cifar10;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.util.AtomicFiles;

/**
 * Full and read-only disks, made real with small tmpfs mounts (Linux, root). Where mounting is not
 * allowed the tests are skipped and say so.
 */
class DiskTest {

  @TempDir
  Path tmp;

  private final List<Path> mounts = new ArrayList<>();

  private static int sh(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  /** A fresh tmpfs of {@code size} (mount's syntax, e.g. 3m) at {@code dir}. */
  private Path mount(Path dir, String size, boolean readOnly) throws Exception {
    Files.createDirectories(dir);
    int code = sh("mount", "-t", "tmpfs", "-o", "size=" + size + (readOnly ? ",ro" : ""),
        "tmpfs", dir.toString());
    if (code != 0) {
      System.out.println("DiskTest skipped: cannot mount a tmpfs here (needs root on Linux)");
    }
    Assumptions.assumeTrue(code == 0, "cannot mount a tmpfs here (needs root on Linux)");
    mounts.add(dir);
    return dir;
  }

  @AfterEach
  void unmount() throws Exception {
    for (Path m : mounts) {
      sh("umount", m.toString());
    }
  }

  /** Fills the disk of {@code dir} until fewer than {@code left} bytes are free. */
  private static void fill(Path dir, long left) throws IOException {
    long free = Files.getFileStore(dir).getUsableSpace();
    Files.write(dir.resolve("filler"), new byte[(int) Math.max(0, free - left)]);
  }

  @Test
  void aFullDiskStopsFigure7BeforeTrainingAndKeepsEarlierResults() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 60, 20);
    Path disk = mount(tmp.resolve("disk"), "12m", false);
    Path out = disk.resolve("f7");
    // the first half of the grid the later runs ask for; without checkpoints: their 2 x 88 MB
    // would not fit the 12 MB disk
    Cli first = Cli.run("figure7", "--preset", "smoke", "--layers", "0", "--repeats", "2",
        "--shard", "0/2", "--epochs", "1", "--inits", "xavier", "--train-limit", "30",
        "--test-limit", "10", "--data", data.toString(), "--out", out.toString(),
        "--checkpoint-every", "0");
    assertEquals(0, first.code(), first.err());
    Path run = out.resolve("runs/L0_xavier_r0.json");
    byte[] before = Files.readAllBytes(run);
    fill(disk, 200 * 1024);
    Cli r = Cli.run("figure7", "--preset", "smoke", "--layers", "0", "--repeats", "2",
        "--epochs", "1", "--inits", "xavier", "--train-limit", "30", "--test-limit", "10",
        "--data", data.toString(), "--out", out.toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(r.lastErrLine().startsWith("figure7: --out: cannot write to " + out),
        r.lastErrLine());
    assertTrue(r.lastErrLine().contains("No space left on device"), r.lastErrLine());
    assertTrue(!r.out().contains("L0_xavier_r1"), "no training: " + r.out());
    assertArrayEquals(before, Files.readAllBytes(run));

    // room for the write check, not for what the grid will write
    Files.delete(disk.resolve("filler"));
    fill(disk, 2 << 20);
    Cli tight = Cli.run("figure7", "--preset", "smoke", "--layers", "0", "--repeats", "2",
        "--epochs", "1", "--inits", "xavier", "--train-limit", "30", "--test-limit", "10",
        "--data", data.toString(), "--out", out.toString());
    assertEquals(1, tight.code(), tight.err());
    assertTrue(tight.lastErrLine().matches("figure7: --out: " + out + " has [0-9,]+ KiB free, "
        + "fewer than the [0-9,]+ KiB the results will need; .*"), tight.lastErrLine());
    assertArrayEquals(before, Files.readAllBytes(run));
    try (var s = Files.list(out)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".write-check")));
    }
  }

  @Test
  void aWriteThatRunsOutOfSpaceLeavesTheOldFileAndNoTempFile() throws Exception {
    Path disk = mount(tmp.resolve("disk"), "1m", false);
    Path file = disk.resolve("summary.json");
    AtomicFiles.write(file, "old".getBytes());
    fill(disk, 64 * 1024);
    assertThrows(IOException.class, () -> AtomicFiles.write(file, new byte[512 * 1024]));
    assertEquals("old", Files.readString(file));
    try (var s = Files.list(disk)) {
      assertEquals(List.of("filler", "summary.json"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void aReadOnlyFolderIsRefusedUpFrontByEveryWritingCommand() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 60, 20);
    Path ro = mount(tmp.resolve("ro"), "1m", true);
    List<String[]> commands = List.of(
        new String[] {"figure7", "--preset", "smoke", "--data", data.toString(), "--out",
            ro.resolve("f7").toString()},
        new String[] {"train", "--layers", "0", "--epochs", "1", "--data", data.toString(),
            "--out", ro.resolve("run.json").toString()},
        new String[] {"init-report", "--layers", "0", "--data", data.toString(), "--out",
            ro.resolve("report").toString()},
        new String[] {"bench", "--quick", "--json", ro.resolve("b.json").toString()});
    for (String[] args : commands) {
      Cli r = Cli.run(args);
      assertEquals(1, r.code(), args[0] + ": " + r.err());
      assertTrue(r.lastErrLine().contains("Read-only file system"), r.lastErrLine());
      assertTrue(r.lastErrLine().contains(ro.toString()), r.lastErrLine());
    }
  }

  @Test
  void aSecondDownloadNeedsNoWritableOrFreeDisk() throws Exception {
    Path disk = mount(tmp.resolve("disk"), "1m", false);
    Path batches = Files.createDirectories(disk.resolve(Cifar10.BATCHES_FOLDER));
    for (var file : ArchiveSpec.CIFAR10.files().entrySet()) {
      // sparse: a tmpfs of 1 MiB holds the six 30 MB batches of a complete cache
      try (RandomAccessFile f = new RandomAccessFile(batches.resolve(file.getKey()).toFile(),
          "rw")) {
        f.setLength(file.getValue());
      }
    }
    assertEquals(0, sh("mount", "-o", "remount,ro", disk.toString()));
    Cli r = Cli.run("download", "--dir", disk.toString(), "--url", "file:/nonexistent.tar.gz");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("CIFAR-10 ready in " + batches), r.out());

    // an empty read-only cache still needs writing, and is refused before any download
    Path empty = mount(tmp.resolve("empty"), "1m", true);
    r = Cli.run("download", "--dir", empty.toString(), "--url", "file:/nonexistent.tar.gz");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.lastErrLine().contains("Read-only file system"), r.lastErrLine());
  }

  @Test
  void aSavedModelThatDoesNotFitKeepsTheRunFile() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 60, 20);
    // the run file takes kilobytes, the SavedModel 100 MB of classifier weights
    Path disk = mount(tmp.resolve("disk"), "12m", false);
    Path run = disk.resolve("run.json");
    // (without checkpoints, whose 2 x 88 MB the free-space check would refuse before training)
    Cli r = Cli.run("train", "--layers", "0", "--epochs", "1", "--no-test", "--data",
        data.toString(), "--out", run.toString(), "--save-model",
        disk.resolve("model").toString(), "--checkpoint-every", "0");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.lastErrLine().contains("No space left on device"), r.lastErrLine());
    assertEquals(1, ResultStore.readRun(run).epochs().size());
    try (var left = Files.list(disk)) {
      assertEquals(List.of(run), left.toList(), "no half-written SavedModel");
    }
  }
}
