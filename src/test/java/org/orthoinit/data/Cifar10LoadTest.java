package org.orthoinit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.orthoinit.data.Cifar10.BLUE;
import static org.orthoinit.data.Cifar10.CHANNELS;
import static org.orthoinit.data.Cifar10.GREEN;
import static org.orthoinit.data.Cifar10.IMAGE_BYTES;
import static org.orthoinit.data.Cifar10.IMAGE_SIZE;
import static org.orthoinit.data.Cifar10.LABEL_BYTES;
import static org.orthoinit.data.Cifar10.RECORD_BYTES;
import static org.orthoinit.data.Cifar10.RED;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.orthoinit.AsNobody;
import org.junit.jupiter.api.io.TempDir;

class Cifar10LoadTest {

  @TempDir
  Path dir;

  @Test
  void constantsDescribeTheBinaryFormat() {
    assertEquals(32, IMAGE_SIZE);
    assertEquals(3, CHANNELS);
    assertEquals(10, Cifar10.CLASSES);
    assertEquals(3072, IMAGE_BYTES);
    assertEquals(3073, RECORD_BYTES);
    assertEquals(30_730_000L, Cifar10.BATCH_FILE_BYTES);
    assertEquals(5, Cifar10.TRAIN_FILES.size());
    assertEquals("airplane", Cifar10.CLASS_NAMES.get(0));
    assertEquals("truck", Cifar10.CLASS_NAMES.get(Cifar10.CLASSES - 1));
  }

  @Test
  void trainReadsThePresentBatchesInOrder() throws DataException {
    // batches 1 and 3 only: records 0..1 come from batch 1, record 2 from batch 3
    FakeCifar.write(dir.resolve("data_batch_3.bin"), FakeCifar.batch(2, 9));
    FakeCifar.write(dir.resolve("data_batch_1.bin"), FakeCifar.batch(0, 0, 1));
    FakeCifar.write(dir.resolve("test_batch.bin"), FakeCifar.batch(100, 5));

    Cifar10Data train = Cifar10.load(dir, Cifar10.Split.TRAIN);

    assertEquals(3, train.size());
    assertArrayEquals(new int[] {0, 1, 9}, train.labels());
    float[] image = new float[IMAGE_BYTES];
    for (int r = 0; r < train.size(); r++) {
      train.copyImageNhwc(r, image, 0);
      for (int h = 0; h < IMAGE_SIZE; h++) {
        for (int w = 0; w < IMAGE_SIZE; w++) {
          for (int c = 0; c < CHANNELS; c++) {
            assertEquals(FakeCifar.pixel(r, c, h, w) / 255f, image[(h * IMAGE_SIZE + w) * CHANNELS + c],
                "record " + r + " h=" + h + " w=" + w + " c=" + c);
          }
        }
      }
    }
  }

  @Test
  void craftedPixelLandsAtItsNhwcOffset() throws DataException {
    byte[] record = new byte[RECORD_BYTES];
    record[0] = 7;
    // (h=1, w=2, c=green) in CHW: 1 * 1024 + 1 * 32 + 2 = 1058, after the label byte
    record[LABEL_BYTES + 1058] = (byte) 200;
    record[LABEL_BYTES + FakeCifar.chw(RED, 0, 0)] = (byte) 255;
    record[LABEL_BYTES + FakeCifar.chw(BLUE, 31, 31)] = (byte) 128;
    FakeCifar.write(dir.resolve("test_batch.bin"), record);

    Cifar10Data test = Cifar10.load(dir, Cifar10.Split.TEST);
    int offset = 5;
    float[] dst = new float[offset + IMAGE_BYTES + 1];
    test.copyImageNhwc(0, dst, offset);

    assertEquals(7, test.label(0));
    // NHWC (h=1, w=2, c=1): (1 * 32 + 2) * 3 + 1 = 103
    assertEquals(200 / 255f, dst[offset + 103]);
    assertEquals(1f, dst[offset]);
    assertEquals(128 / 255f, dst[offset + IMAGE_BYTES - 1]);
    int nonZero = 0;
    for (float v : dst) {
      nonZero += v != 0f ? 1 : 0;
    }
    assertEquals(3, nonZero, "only the three set pixels are non-zero, nothing written outside the image");
  }

  @Test
  void testSplitReadsOnlyTheTestBatch() throws DataException {
    FakeCifar.write(dir.resolve("data_batch_1.bin"), FakeCifar.batch(0, 1, 1));
    FakeCifar.write(dir.resolve("test_batch.bin"), FakeCifar.batch(0, 3, 8, 8, 0));

    Cifar10Data test = Cifar10.load(dir, Cifar10.Split.TEST);

    assertArrayEquals(new int[] {3, 8, 8, 0}, test.labels());
  }

  @Test
  void findsTheBatchesFolderInsideTheGivenFolder() throws DataException {
    Path nested = dir.resolve(Cifar10.BATCHES_FOLDER);
    FakeCifar.write(nested.resolve("data_batch_2.bin"), FakeCifar.batch(0, 4));
    FakeCifar.write(nested.resolve("test_batch.bin"), FakeCifar.batch(0, 6, 2));

    assertArrayEquals(new int[] {4}, Cifar10.load(dir, Cifar10.Split.TRAIN).labels());
    assertArrayEquals(new int[] {6, 2}, Cifar10.load(dir, Cifar10.Split.TEST).labels());
  }

  @Test
  void sizeNotAMultipleOfTheRecordIsRejected() {
    Path file = FakeCifar.write(dir.resolve("data_batch_1.bin"), new byte[RECORD_BYTES + 1]);

    DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir, Cifar10.Split.TRAIN));

    assertTrue(e.getMessage().startsWith(file + ": size 3074 bytes is not a multiple of the 3073-byte record"),
        e.getMessage());
  }

  @Test
  void emptyFileIsRejected() {
    Path file = FakeCifar.write(dir.resolve("test_batch.bin"), new byte[0]);

    DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir, Cifar10.Split.TEST));

    assertTrue(e.getMessage().startsWith(file + ": file is empty"), e.getMessage());
  }

  @Test
  void labelAboveNineIsRejected() {
    byte[] bytes = FakeCifar.batch(0, 0, 9, 1);
    bytes[2 * RECORD_BYTES] = 12;
    Path file = FakeCifar.write(dir.resolve("test_batch.bin"), bytes);

    DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir, Cifar10.Split.TEST));

    assertTrue(e.getMessage().startsWith(file + ": record 2 has label 12, expected 0..9"), e.getMessage());
  }

  @Test
  void labelAboveNineInALaterTrainingBatchIsRejected() {
    FakeCifar.write(dir.resolve("data_batch_1.bin"), FakeCifar.batch(0, 0));
    byte[] bytes = FakeCifar.batch(0, 1);
    bytes[0] = (byte) 255;
    Path file = FakeCifar.write(dir.resolve("data_batch_2.bin"), bytes);

    DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir, Cifar10.Split.TRAIN));

    assertTrue(e.getMessage().startsWith(file + ": record 0 has label 255"), e.getMessage());
  }

  @Test
  void missingTrainingBatchesAreReported() {
    FakeCifar.write(dir.resolve("test_batch.bin"), FakeCifar.batch(0, 0));

    DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir, Cifar10.Split.TRAIN));

    assertEquals(dir + ": no CIFAR-10 training batch (data_batch_1.bin .. data_batch_5.bin); "
        + "run `orthoinit download` or pass --data DIR", e.getMessage());
  }

  @Test
  void missingTestBatchIsReported() {
    FakeCifar.write(dir.resolve("data_batch_1.bin"), FakeCifar.batch(0, 0));

    DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir, Cifar10.Split.TEST));

    assertTrue(e.getMessage().startsWith(dir + ": no CIFAR-10 test batch (test_batch.bin)"), e.getMessage());
  }

  @Test
  void emptyFolderIsReported() {
    DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir, Cifar10.Split.TEST));

    assertTrue(e.getMessage().startsWith(dir + ": no CIFAR-10 test batch"), e.getMessage());
  }

  @Test
  void missingFolderIsReported() {
    Path missing = dir.resolve("nowhere");

    DataException e = assertThrows(DataException.class, () -> Cifar10.load(missing, Cifar10.Split.TRAIN));

    assertTrue(e.getMessage().startsWith(missing + ": folder does not exist"), e.getMessage());
  }

  @Test
  void fileInsteadOfFolderIsReported() {
    Path file = FakeCifar.write(dir.resolve("test_batch.bin"), FakeCifar.batch(0, 0));

    DataException e = assertThrows(DataException.class, () -> Cifar10.load(file, Cifar10.Split.TEST));

    assertEquals(file + ": is not a folder; pass the folder holding the CIFAR-10 batch files", e.getMessage());
  }

  @Test
  void unreadableFolderIsReported() throws IOException, InterruptedException {
    Path locked = dir.resolve("locked");
    FakeCifar.write(locked.resolve("test_batch.bin"), FakeCifar.batch(0, 0));
    Set<PosixFilePermission> before = Files.getPosixFilePermissions(locked);
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
    try {
      String message;
      if (Files.isReadable(locked) && Files.isExecutable(locked)) {
        // root (as in CI) ignores permissions: the load runs as nobody in a process of its own
        assertTrue(AsNobody.root(), locked + " is still readable after chmod 000");
        AsNobody.Result r = AsNobody.run(dir, LoadProbe.class.getName(), locked.toString());
        assertEquals(3, r.code(), r.out() + r.err());
        message = r.out().strip();
      } else {
        message = assertThrows(DataException.class,
            () -> Cifar10.load(locked, Cifar10.Split.TEST)).getMessage();
      }
      assertTrue(message.startsWith(locked + ": folder is not readable"), message);
    } finally {
      Files.setPosixFilePermissions(locked, before);
    }
  }
}
