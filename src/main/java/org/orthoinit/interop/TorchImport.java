package org.orthoinit.interop;

import java.nio.file.Path;
import java.util.Map;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Parameter;

/**
 * Reads the seed's AlexNet from ONNX ({@code torch.onnx.export}'s or orthoinit's): the file's
 * nodes become a network ({@link OnnxImport}), which must be one of the seed's AlexNets; and
 * converts between PyTorch's layouts (OIHW kernels, [out, in] linear weights) and TensorFlow's
 * (HWIO, [in, out]).
 */
public final class TorchImport {

  /** An imported model: its architecture and its variables in TensorFlow's layout. */
  public record Imported(ModelConfig config, Map<String, float[]> weights) {}

  private TorchImport() {}

  /** Reads {@code file}, an ONNX export of the seed's AlexNet. */
  public static Imported read(Path file) throws InteropException {
    OnnxImport.Imported onnx = OnnxImport.read(file);
    ModelConfig config = AlexNet.recognise(onnx.network()).orElseThrow(() ->
        new InteropException(file, "not the seed's AlexNet: its " + onnx.network().layers().size()
            + " layers (" + onnx.network().convs().size() + " convolutions, "
            + onnx.network().linears().size() + " linear) are no AlexNet(num_layers, level,"
            + " withbn)"));
    return new Imported(config, onnx.weights());
  }

  /** A parameter's shape in PyTorch's layout. */
  public static long[] torchShape(Parameter p) {
    long[] s = p.shape();
    return switch (p.kind()) {
      case CONV_KERNEL -> new long[] {s[3], s[2], s[0], s[1]}; // HWIO -> OIHW
      case LINEAR_WEIGHT -> new long[] {s[1], s[0]}; // [in, out] -> [out, in]
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
}
