package org.orthoinit.interop;

import java.nio.file.Path;
import org.orthoinit.model.Network;

/** Image batches in .npy files: float32 [N, 3, 32, 32] (PyTorch, NCHW) or [N, 32, 32, 3] (NHWC). */
public final class ImageArrays {

  /** Axis order of an image array. */
  public enum Layout {
    NCHW, NHWC
  }

  /** A batch of {@code n} images, NHWC, as the model takes them. */
  public record Batch(int n, float[] nhwc) {}

  private static final int S = Network.IMAGE_SIZE;
  private static final int C = Network.IMAGE_CHANNELS;

  private ImageArrays() {}

  /** Reads and checks an image array; values are used as they are (expected in [0, 1]). */
  public static Batch read(Path file, Layout layout) throws InteropException {
    NpyArray a = layout == Layout.NCHW
        ? Npy.read(file, "<f4", -1, C, S, S)
        : Npy.read(file, "<f4", -1, S, S, C);
    int n = Math.toIntExact(a.shape()[0]);
    if (n == 0) {
      throw new InteropException(file, "holds no images (shape " + Npy.shapeText(a.shape()) + ")");
    }
    float[] v = a.toFloats();
    for (float f : v) {
      if (!Float.isFinite(f)) {
        throw new InteropException(file, "holds a non-finite pixel value " + f);
      }
    }
    return new Batch(n, layout == Layout.NCHW ? nchwToNhwc(v, n) : v);
  }

  /** [N, C, H, W] -> [N, H, W, C]. */
  public static float[] nchwToNhwc(float[] v, int n) {
    return Layouts.nchwToNhwc(v, n, C, S * S);
  }
}
