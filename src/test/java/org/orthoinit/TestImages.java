package org.orthoinit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.model.Network;

/** Seeded synthetic images and CIFAR-10 batch files for tests. */
public final class TestImages {

  public static final int PIXELS = Network.IMAGE_FLOATS;
  /** Bytes of one CIFAR-10 record: a label, then 3072 pixels. */
  public static final int RECORD = 1 + PIXELS;

  private TestImages() {}

  /** {@code n} images of random bytes in memory, labels i % 10. */
  public static Cifar10Data randomData(int n, long seed) {
    Random r = new Random(seed);
    byte[] pixels = new byte[n * PIXELS];
    byte[] labels = new byte[n];
    r.nextBytes(pixels);
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % 10);
    }
    return Cifar10Data.of(pixels, labels);
  }

  /** {@code n} NHWC images with uniform pixels in [0, 1]. */
  public static float[] uniform(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * PIXELS];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(256) / 255f;
    }
    return x;
  }

  /** Writes a CIFAR-10 binary batch of {@code n} random records with labels i % 10. */
  public static Path writeBatch(Path file, int n, long seed) throws IOException {
    Random r = new Random(seed);
    byte[] bytes = new byte[n * RECORD];
    for (int i = 0; i < n; i++) {
      bytes[i * RECORD] = (byte) (i % 10);
      for (int j = 1; j < RECORD; j++) {
        bytes[i * RECORD + j] = (byte) r.nextInt(256);
      }
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.write(file, bytes);
  }

  /** A folder with data_batch_1.bin ({@code train} records) and test_batch.bin ({@code test}). */
  public static Path writeDataset(Path dir, int train, int test) throws IOException {
    writeBatch(dir.resolve("data_batch_1.bin"), train, 1);
    writeBatch(dir.resolve("test_batch.bin"), test, 2);
    return dir;
  }
}
