package org.orthoinit.model;

/**
 * A representation's shape for one image, as PyTorch gives it: channels x height x width for the
 * spatial part, or a vector of {@code channels} values once flattened ({@code flat}).
 */
public record Dims(int channels, int height, int width, boolean flat) {

  public Dims {
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "a shape must be positive, got " + channels + "x" + height + "x" + width);
    }
    if (flat && (height != 1 || width != 1)) {
      throw new IllegalArgumentException("a flat shape has no height or width");
    }
  }

  /** A spatial shape, C x H x W. */
  public Dims(int channels, int height, int width) {
    this(channels, height, width, false);
  }

  /** A vector of {@code n} values per image. */
  public static Dims vector(int n) {
    return new Dims(n, 1, 1, true);
  }

  public long size() {
    return (long) channels * height * width;
  }

  @Override
  public String toString() {
    return flat ? Integer.toString(channels) : channels + "x" + height + "x" + width;
  }
}
