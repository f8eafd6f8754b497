package org.orthoinit.interop;

import org.orthoinit.model.Parameter;

/**
 * Conversions between PyTorch's layouts and TensorFlow's, the one place they are written:
 * parameters (OIHW kernels and [out, in] linear weights in PyTorch, HWIO and [in, out] here)
 * and activations (NCHW in PyTorch and ONNX, NHWC here).
 */
public final class Layouts {

  private Layouts() {}

  /** A parameter's shape in PyTorch's layout. */
  public static long[] torchShape(Parameter p) {
    long[] s = p.shape();
    return switch (p.kind()) {
      case CONV_KERNEL -> new long[] {s[3], s[2], s[0], s[1]}; // HWIO -> OIHW
      case LINEAR_WEIGHT -> new long[] {s[1], s[0]}; // [in, out] -> [out, in]
      case SCALE -> new long[] {s[0], 1, 1}; // a factor per channel of an NCHW image
      default -> s;
    };
  }

  /** PyTorch layout -> TensorFlow layout. */
  public static float[] toTensorFlow(Parameter p, float[] torch) {
    long[] s = p.shape();
    return switch (p.kind()) {
      case CONV_KERNEL -> oihwToHwio(torch, (int) s[3], (int) s[2], (int) s[0], (int) s[1]);
      case LINEAR_WEIGHT -> transpose(torch, (int) s[1], (int) s[0]);
      default -> torch.clone();
    };
  }

  /** TensorFlow layout -> PyTorch layout. */
  public static float[] toTorch(Parameter p, float[] tf) {
    long[] s = p.shape();
    return switch (p.kind()) {
      case CONV_KERNEL -> hwioToOihw(tf, (int) s[0], (int) s[1], (int) s[2], (int) s[3]);
      case LINEAR_WEIGHT -> transpose(tf, (int) s[0], (int) s[1]);
      default -> tf.clone();
    };
  }

  /** [O, I, H, W] -> [H, W, I, O]. */
  public static float[] oihwToHwio(float[] v, int o, int in, int h, int w) {
    float[] out = new float[v.length];
    for (int a = 0; a < o; a++) {
      for (int b = 0; b < in; b++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            out[((y * w + x) * in + b) * o + a] = v[((a * in + b) * h + y) * w + x];
          }
        }
      }
    }
    return out;
  }

  /** [H, W, I, O] -> [O, I, H, W]. */
  public static float[] hwioToOihw(float[] v, int h, int w, int in, int o) {
    float[] out = new float[v.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int b = 0; b < in; b++) {
          for (int a = 0; a < o; a++) {
            out[((a * in + b) * h + y) * w + x] = v[((y * w + x) * in + b) * o + a];
          }
        }
      }
    }
    return out;
  }

  /** [rows, cols] -> [cols, rows]. */
  public static float[] transpose(float[] v, int rows, int cols) {
    float[] out = new float[v.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = v[r * cols + c];
      }
    }
    return out;
  }

  /** {@code n} samples of {@code c} channels of {@code pixels} values each, NCHW to NHWC. */
  public static float[] nchwToNhwc(float[] v, int n, int c, int pixels) {
    float[] out = new float[v.length];
    for (int i = 0; i < n; i++) {
      int base = i * c * pixels;
      for (int k = 0; k < c; k++) {
        for (int p = 0; p < pixels; p++) {
          out[base + p * c + k] = v[base + k * pixels + p];
        }
      }
    }
    return out;
  }

  /** The inverse of {@link #nchwToNhwc}: NHWC to NCHW. */
  public static float[] nhwcToNchw(float[] v, int n, int c, int pixels) {
    float[] out = new float[v.length];
    for (int i = 0; i < n; i++) {
      int base = i * c * pixels;
      for (int k = 0; k < c; k++) {
        for (int p = 0; p < pixels; p++) {
          out[base + k * pixels + p] = v[base + p * c + k];
        }
      }
    }
    return out;
  }
}
