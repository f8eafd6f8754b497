package org.orthoinit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.orthoinit.data.Cifar10.CHANNELS;
import static org.orthoinit.data.Cifar10.CHANNEL_BYTES;
import static org.orthoinit.data.Cifar10.CLASSES;
import static org.orthoinit.data.Cifar10.IMAGE_BYTES;
import static org.orthoinit.data.Cifar10.LABEL_BYTES;
import static org.orthoinit.data.Cifar10.RECORDS_PER_BATCH;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.orthoinit.Fixtures;

/** Reads the real CIFAR-10 files in the folder named by the system property orthoinit.cifar, when present. */
class Cifar10RealDataTest {

  private static final String PROPERTY = "orthoinit.cifar";
  /** Per-channel pixel means of CIFAR-10 (red, green, blue), the same for train and test to 0.01. */
  private static final double[] CHANNEL_MEANS = {0.4914, 0.4822, 0.4465};
  private static final double MEAN_TOLERANCE = 0.02;

  /** The real data set's folder: skipped without it, failed where fixtures are required. */
  private static Path realFolder() {
    return Fixtures.folder(PROPERTY, "test_batch.bin", "CIFAR-10 in the binary format", "");
  }

  @Test
  void testSplitHasTenThousandBalancedImagesWithTheKnownMeans() throws DataException, IOException {
    Path folder = realFolder();

    Cifar10Data test = Cifar10.load(folder, Cifar10.Split.TEST);

    assertEquals(RECORDS_PER_BATCH, test.size());
    int[] counts = new int[CLASSES];
    for (int label : test.labels()) {
      counts[label]++;
    }
    for (int count : counts) {
      assertEquals(RECORDS_PER_BATCH / CLASSES, count);
    }
    double[] sums = new double[CHANNELS];
    float[] image = new float[IMAGE_BYTES];
    for (int i = 0; i < test.size(); i++) {
      test.copyImageNhwc(i, image, 0);
      for (int k = 0; k < IMAGE_BYTES; k++) {
        sums[k % CHANNELS] += image[k];
      }
    }
    for (int c = 0; c < CHANNELS; c++) {
      double mean = sums[c] / ((double) test.size() * CHANNEL_BYTES);
      assertEquals(CHANNEL_MEANS[c], mean, MEAN_TOLERANCE, "mean of channel " + c);
    }
    // the first image, read independently from the file, lands transposed to HWC
    byte[] first = new byte[LABEL_BYTES + IMAGE_BYTES];
    Path file = Files.isRegularFile(folder.resolve(Cifar10.TEST_FILE))
        ? folder.resolve(Cifar10.TEST_FILE)
        : folder.resolve(Cifar10.BATCHES_FOLDER).resolve(Cifar10.TEST_FILE);
    try (InputStream in = Files.newInputStream(file)) {
      assertEquals(first.length, in.readNBytes(first, 0, first.length));
    }
    test.copyImageNhwc(0, image, 0);
    assertEquals(first[0], test.label(0));
    for (int p = 0; p < CHANNEL_BYTES; p++) {
      for (int c = 0; c < CHANNELS; c++) {
        assertEquals((first[LABEL_BYTES + c * CHANNEL_BYTES + p] & 0xFF) / 255f, image[p * CHANNELS + c]);
      }
    }
  }

  @Test
  void trainSplitReadsWholeBatches() throws DataException {
    Cifar10Data train = Cifar10.load(realFolder(), Cifar10.Split.TRAIN);

    assertTrue(train.size() > 0 && train.size() % RECORDS_PER_BATCH == 0
        && train.size() <= Cifar10.TRAIN_FILES.size() * RECORDS_PER_BATCH, "size " + train.size());
    for (int label : train.labels()) {
      assertTrue(label >= 0 && label < CLASSES);
    }
  }

  @Test
  void metaFileListsTheClassNames() throws IOException {
    Path meta = Fixtures.folder(PROPERTY, Cifar10.META_FILE, "CIFAR-10's class names", "")
        .resolve(Cifar10.META_FILE);

    List<String> names = Files.readAllLines(meta).stream().filter(line -> !line.isBlank()).toList();

    assertArrayEquals(Cifar10.CLASS_NAMES.toArray(), names.toArray());
  }
}
