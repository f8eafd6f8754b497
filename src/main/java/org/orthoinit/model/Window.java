package org.orthoinit.model;

/**
 * The sliding window of a convolution or pooling layer, in PyTorch's terms: kernel, stride, zero
 * (or -inf) padding on each side, and dilation, for height and width separately.
 */
public record Window(int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft,
    int padBottom, int padRight, int dilationH, int dilationW) {

  public Window {
    if (kernelH < 1 || kernelW < 1) {
      throw new IllegalArgumentException("kernel must be >= 1, got " + kernelH + "x" + kernelW);
    }
    if (strideH < 1 || strideW < 1) {
      throw new IllegalArgumentException("stride must be >= 1, got " + strideH + "x" + strideW);
    }
    if (dilationH < 1 || dilationW < 1) {
      throw new IllegalArgumentException(
          "dilation must be >= 1, got " + dilationH + "x" + dilationW);
    }
    if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
      throw new IllegalArgumentException("padding must be >= 0, got [" + padTop + ", " + padLeft
          + ", " + padBottom + ", " + padRight + "]");
    }
  }

  /** A k x k window with the same stride and padding on every side, no dilation. */
  public static Window square(int kernel, int stride, int padding) {
    return new Window(kernel, kernel, stride, stride, padding, padding, padding, padding, 1, 1);
  }

  /** The kernel's extent once dilated: d (k - 1) + 1. */
  public int extentH() {
    return dilationH * (kernelH - 1) + 1;
  }

  public int extentW() {
    return dilationW * (kernelW - 1) + 1;
  }

  public boolean padded() {
    return padTop + padLeft + padBottom + padRight > 0;
  }

  /** True when the window is k x k with equal strides, dilations and paddings. */
  public boolean isSquare() {
    return kernelH == kernelW && strideH == strideW && dilationH == dilationW
        && padTop == padLeft && padTop == padBottom && padTop == padRight;
  }

  /**
   * Output rows from {@code h} input rows: floor((h + pads - extent) / stride) + 1, or with
   * {@code ceil} PyTorch's ceil_mode, which drops a last window that would start in the bottom
   * padding.
   */
  public int outputHeight(int h, boolean ceil) {
    return output(h, padTop, padBottom, extentH(), strideH, ceil);
  }

  public int outputWidth(int w, boolean ceil) {
    return output(w, padLeft, padRight, extentW(), strideW, ceil);
  }

  private static int output(int size, int before, int after, int extent, int stride,
      boolean ceil) {
    int span = size + before + after - extent;
    if (span < 0) {
      return 0;
    }
    int out = (ceil ? Math.floorDiv(span + stride - 1, stride) : span / stride) + 1;
    if (ceil && (out - 1) * stride >= size + before) {
      out--;
    }
    return out;
  }

  /** "k=3, s=2, p=1" for square windows, each part per axis otherwise. */
  @Override
  public String toString() {
    String k = kernelH == kernelW ? "k=" + kernelH : "k=" + kernelH + "x" + kernelW;
    String s = strideH == strideW ? ", s=" + strideH : ", s=" + strideH + "x" + strideW;
    String p = padTop == padLeft && padTop == padBottom && padTop == padRight ? ", p=" + padTop
        : ", p=[" + padTop + "," + padLeft + "," + padBottom + "," + padRight + "]";
    String d = dilationH == 1 && dilationW == 1 ? ""
        : dilationH == dilationW ? ", d=" + dilationH : ", d=" + dilationH + "x" + dilationW;
    return k + s + p + d;
  }
}
