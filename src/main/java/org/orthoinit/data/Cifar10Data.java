package org.orthoinit.data;

import static org.orthoinit.data.Cifar10.CHANNELS;
import static org.orthoinit.data.Cifar10.CHANNEL_BYTES;
import static org.orthoinit.data.Cifar10.CLASSES;
import static org.orthoinit.data.Cifar10.IMAGE_BYTES;
import static org.orthoinit.data.Cifar10.LABEL_BYTES;
import static org.orthoinit.data.Cifar10.RECORD_BYTES;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.orthoinit.util.Digests;

/**
 * An immutable, ordered set of CIFAR-10 images and labels.
 *
 * <p>The images are kept as the raw record bytes of the batch files (3073 bytes per record, a
 * quarter of the memory of floats); {@link #copyImageNhwc} converts one image to floats on
 * demand. {@link #first} and {@link #select} return views that share those bytes, so subsets
 * cost only an index array.
 */
public final class Cifar10Data {

  /** Largest pixel byte value; a pixel byte b becomes b / 255f, as torchvision's ToTensor does. */
  private static final float MAX_PIXEL = 255f;
  /** Number of distinct byte values. */
  private static final int BYTE_VALUES = 256;
  /** UNIT[b] = b / 255f, the exact float ToTensor computes, looked up instead of divided. */
  private static final float[] UNIT = new float[BYTE_VALUES];

  static {
    for (int b = 0; b < BYTE_VALUES; b++) {
      UNIT[b] = b / MAX_PIXEL;
    }
  }

  /** Records, [count][RECORD_BYTES]: label byte, then the image in CHW order. Never modified. */
  private final byte[] records;
  /** rows[i] is the record of element i; null when element i is record i. Never modified. */
  private final int[] rows;
  private final int size;
  /** The set {@link #first} took this one from; null for a set of its own. */
  private final Cifar10Data pool;

  /**
   * @param records count x 3073 record bytes, owned by this object and its views from now on
   * @param rows the record index of each element, or null for records 0..size-1
   * @param size number of elements
   */
  Cifar10Data(byte[] records, int[] rows, int size) {
    this(records, rows, size, null);
  }

  private Cifar10Data(byte[] records, int[] rows, int size, Cifar10Data pool) {
    this.records = records;
    this.rows = rows;
    this.size = size;
    this.pool = pool;
  }

  /**
   * The whole set this one is the first images of ({@link #first}, at any depth), or this set:
   * where a run of a limited set may draw images it does not train on.
   */
  public Cifar10Data pool() {
    return pool != null ? pool : this;
  }

  /**
   * Builds a data set from images and labels held in memory, e.g. for tests.
   *
   * @param pixelsChw the images one after another, each {@value Cifar10#IMAGE_BYTES} bytes in
   *     CHW order (as in the batch files); length must be labels.length x 3072
   * @param labels one label 0..9 per image
   * @return a data set holding copies of the arrays
   * @throws IllegalArgumentException if the lengths do not match or a label is out of range
   */
  public static Cifar10Data of(byte[] pixelsChw, byte[] labels) {
    Objects.requireNonNull(pixelsChw, "pixelsChw");
    Objects.requireNonNull(labels, "labels");
    long expected = (long) labels.length * IMAGE_BYTES;
    if (pixelsChw.length != expected) {
      throw new IllegalArgumentException("pixelsChw has " + pixelsChw.length + " bytes, expected "
          + labels.length + " labels x " + IMAGE_BYTES + " = " + expected);
    }
    byte[] records = new byte[labels.length * RECORD_BYTES];
    for (int i = 0; i < labels.length; i++) {
      int label = labels[i] & 0xFF;
      if (label >= CLASSES) {
        throw new IllegalArgumentException("labels[" + i + "] is " + label + ", expected 0.." + (CLASSES - 1));
      }
      records[i * RECORD_BYTES] = labels[i];
      System.arraycopy(pixelsChw, i * IMAGE_BYTES, records, i * RECORD_BYTES + LABEL_BYTES, IMAGE_BYTES);
    }
    return new Cifar10Data(records, null, labels.length);
  }

  /**
   * SHA-256 of the records in order (labels and pixels), in hex: two data sets with the same
   * fingerprint hold the same images in the same order, wherever they were read from.
   */
  public String fingerprint() {
    MessageDigest sha = Digests.sha256();
    if (rows == null) {
      sha.update(records, 0, size * RECORD_BYTES);
    } else {
      for (int r : rows) {
        sha.update(records, r * RECORD_BYTES, RECORD_BYTES);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** The number of images. */
  public int size() {
    return size;
  }

  /**
   * @param i image index, 0..size()-1
   * @return its label, 0..9 (see {@link Cifar10#CLASS_NAMES})
   * @throws IndexOutOfBoundsException if i is out of range
   */
  public int label(int i) {
    return records[record(i) * RECORD_BYTES] & 0xFF;
  }

  /**
   * @return a new array of all labels, in order
   */
  public int[] labels() {
    int[] labels = new int[size];
    for (int i = 0; i < size; i++) {
      labels[i] = label(i);
    }
    return labels;
  }

  /**
   * Writes image i as {@value Cifar10#IMAGE_BYTES} floats in NHWC order,
   * [IMAGE_SIZE=32][IMAGE_SIZE=32][CHANNELS=3]: pixel (h, w, c) goes to
   * {@code dst[offset + (h * 32 + w) * 3 + c]} with value {@code byte / 255f} in [0, 1], exactly
   * the values of torchvision's ToTensor (which gives CHW), transposed to HWC.
   *
   * @param i image index, 0..size()-1
   * @param dst the destination, e.g. a batch buffer [batch][32][32][3]
   * @param offset where the image starts in dst (image k of a batch: k x 3072)
   * @throws IndexOutOfBoundsException if i is out of range or the image does not fit in dst
   */
  public void copyImageNhwc(int i, float[] dst, int offset) {
    Objects.checkFromIndexSize(offset, IMAGE_BYTES, dst.length);
    int image = record(i) * RECORD_BYTES + LABEL_BYTES;
    int out = offset;
    // p = h * 32 + w walks the pixels in row-major order; the source holds channel c of
    // pixel p at c * 1024 + p (CHW), the destination at p * 3 + c (HWC)
    for (int p = 0; p < CHANNEL_BYTES; p++) {
      for (int c = 0; c < CHANNELS; c++) {
        dst[out++] = UNIT[records[image + c * CHANNEL_BYTES + p] & 0xFF];
      }
    }
  }

  /**
   * @param n how many images to keep, 0..size()
   * @return the first n images, sharing this set's bytes
   * @throws IllegalArgumentException if n is negative or larger than size()
   */
  public Cifar10Data first(int n) {
    if (n < 0 || n > size) {
      throw new IllegalArgumentException("cannot take the first " + n + " images of a set of " + size);
    }
    return new Cifar10Data(records, rows == null ? null : Arrays.copyOf(rows, n), n, pool());
  }

  /**
   * @param indices image indices into this set, in the wanted order (repeats allowed)
   * @return the images at those indices, in that order, sharing this set's bytes
   * @throws IllegalArgumentException if an index is out of range
   */
  public Cifar10Data select(int[] indices) {
    Objects.requireNonNull(indices, "indices");
    int[] selected = new int[indices.length];
    for (int k = 0; k < indices.length; k++) {
      int i = indices[k];
      if (i < 0 || i >= size) {
        throw new IllegalArgumentException("indices[" + k + "] is " + i + ", outside a set of " + size);
      }
      selected[k] = rows == null ? i : rows[i];
    }
    return new Cifar10Data(records, selected, selected.length);
  }

  /** The record index of element i. */
  private int record(int i) {
    Objects.checkIndex(i, size);
    return rows == null ? i : rows[i];
  }

  @Override
  public String toString() {
    return "Cifar10Data[size=" + size + "]";
  }
}
