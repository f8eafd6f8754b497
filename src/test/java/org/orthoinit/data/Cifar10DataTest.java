package org.orthoinit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.orthoinit.data.Cifar10.CHANNELS;
import static org.orthoinit.data.Cifar10.IMAGE_BYTES;
import static org.orthoinit.data.Cifar10.IMAGE_SIZE;

import org.junit.jupiter.api.Test;

class Cifar10DataTest {

  /** Five images whose pixel (c, h, w) of image r is FakeCifar.pixel(r, c, h, w). */
  private static final int[] LABELS = {3, 1, 4, 1, 5};

  private static Cifar10Data five() {
    byte[] pixels = new byte[LABELS.length * IMAGE_BYTES];
    byte[] labels = new byte[LABELS.length];
    for (int r = 0; r < LABELS.length; r++) {
      labels[r] = (byte) LABELS[r];
      for (int c = 0; c < CHANNELS; c++) {
        for (int h = 0; h < IMAGE_SIZE; h++) {
          for (int w = 0; w < IMAGE_SIZE; w++) {
            pixels[r * IMAGE_BYTES + FakeCifar.chw(c, h, w)] = (byte) FakeCifar.pixel(r, c, h, w);
          }
        }
      }
    }
    return Cifar10Data.of(pixels, labels);
  }

  /** Asserts that image i of data is image r of {@link #five}. */
  private static void assertImage(int r, Cifar10Data data, int i) {
    float[] image = new float[IMAGE_BYTES];
    data.copyImageNhwc(i, image, 0);
    for (int h = 0; h < IMAGE_SIZE; h++) {
      for (int w = 0; w < IMAGE_SIZE; w++) {
        for (int c = 0; c < CHANNELS; c++) {
          assertEquals(FakeCifar.pixel(r, c, h, w) / 255f, image[(h * IMAGE_SIZE + w) * CHANNELS + c]);
        }
      }
    }
  }

  @Test
  void ofKeepsLabelsAndImages() {
    Cifar10Data data = five();

    assertEquals(5, data.size());
    assertArrayEquals(LABELS, data.labels());
    for (int r = 0; r < LABELS.length; r++) {
      assertImage(r, data, r);
    }
  }

  @Test
  void ofRejectsMismatchedLengthsAndBadLabels() {
    IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
        () -> Cifar10Data.of(new byte[IMAGE_BYTES + 1], new byte[1]));
    assertEquals("pixelsChw has 3073 bytes, expected 1 labels x 3072 = 3072", length.getMessage());

    IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
        () -> Cifar10Data.of(new byte[2 * IMAGE_BYTES], new byte[] {0, 10}));
    assertEquals("labels[1] is 10, expected 0..9", label.getMessage());
  }

  @Test
  void extremePixelBytesMapToZeroAndOne() {
    byte[] pixels = new byte[IMAGE_BYTES];
    pixels[0] = (byte) 255;
    pixels[1] = (byte) 128;
    Cifar10Data data = Cifar10Data.of(pixels, new byte[] {0});
    float[] image = new float[IMAGE_BYTES];

    data.copyImageNhwc(0, image, 0);

    assertEquals(1f, image[0]);
    // CHW pixel 1 of red is (h=0, w=1): NHWC offset 1 * 3 + 0
    assertEquals(128 / 255f, image[CHANNELS]);
    assertEquals(0f, image[1]);
  }

  @Test
  void firstKeepsThePrefix() {
    Cifar10Data two = five().first(2);

    assertEquals(2, two.size());
    assertArrayEquals(new int[] {3, 1}, two.labels());
    assertImage(1, two, 1);
    assertEquals(0, five().first(0).size());
    assertThrows(IndexOutOfBoundsException.class, () -> two.label(2));
  }

  @Test
  void firstBeyondTheSizeNamesBothNumbers() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> five().first(6));

    assertEquals("cannot take the first 6 images of a set of 5", e.getMessage());
  }

  @Test
  void selectKeepsTheGivenOrderAndComposes() {
    Cifar10Data picked = five().select(new int[] {4, 0, 4, 2});

    assertArrayEquals(new int[] {5, 3, 5, 4}, picked.labels());
    assertImage(4, picked, 0);
    assertImage(0, picked, 1);
    assertImage(2, picked, 3);

    Cifar10Data again = picked.select(new int[] {3, 1}).first(1);
    assertArrayEquals(new int[] {4}, again.labels());
    assertImage(2, again, 0);
  }

  @Test
  void selectRejectsOutOfRangeIndices() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> five().select(new int[] {0, 5}));

    assertEquals("indices[1] is 5, outside a set of 5", e.getMessage());
  }

  @Test
  void selectCopiesItsIndicesAndLabelsReturnsACopy() {
    int[] indices = {1, 2};
    Cifar10Data picked = five().select(indices);
    indices[0] = 0;
    int[] labels = picked.labels();
    labels[0] = 9;

    assertArrayEquals(new int[] {1, 4}, picked.labels());
  }

  @Test
  void copyChecksTheDestination() {
    Cifar10Data data = five();

    assertThrows(IndexOutOfBoundsException.class, () -> data.copyImageNhwc(0, new float[IMAGE_BYTES], 1));
    assertThrows(IndexOutOfBoundsException.class, () -> data.copyImageNhwc(5, new float[IMAGE_BYTES], 0));
  }
}
