package org.orthoinit.interop;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.orthoinit.model.Architecture;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Parameter;

/**
 * Reads the seed's AlexNet as exported by {@code torch.onnx.export}: infers the architecture from
 * the parameter names and shapes, refuses anything else, and converts PyTorch's layouts (OIHW
 * kernels, [out, in] linear weights) to TensorFlow's (HWIO, [in, out]).
 */
public final class TorchImport {

  /** PyTorch keeps this counter beside the running statistics; nothing here uses it. */
  private static final String BATCHES_TRACKED = ".num_batches_tracked";

  /** An imported model: its architecture and its variables in TensorFlow's layout. */
  public record Imported(ModelConfig config, Map<String, float[]> weights) {}

  private TorchImport() {}

  /** Reads {@code file}, an ONNX export of the seed's AlexNet. */
  public static Imported read(Path file) throws InteropException {
    return fromWeights(file, OnnxModel.read(file).weightsByName());
  }

  /** As {@link #read}, from already decoded weights ({@code file} names them in errors). */
  public static Imported fromWeights(Path file, Map<String, OnnxModel.Weight> weights)
      throws InteropException {
    ModelConfig config = inferConfig(file, weights);
    Architecture architecture = Architecture.of(config);
    Map<String, float[]> out = new LinkedHashMap<>();
    Set<String> used = new HashSet<>();
    for (Parameter p : architecture.parameters()) {
      OnnxModel.Weight w = require(file, weights, p.name(), torchShape(p));
      out.put(p.name(), toTensorFlow(p, w.values()));
      used.add(p.name());
    }
    for (Layer.BatchNorm bn : architecture.batchNorms()) {
      for (String name : new String[] {bn.runningMean(), bn.runningVar()}) {
        out.put(name, require(file, weights, name, new long[] {bn.channels()}).values());
        used.add(name);
      }
    }
    for (String name : weights.keySet()) {
      if (!used.contains(name) && !name.endsWith(BATCHES_TRACKED)) {
        throw new InteropException(file, "not the seed's AlexNet: unexpected parameter " + name
            + " " + Arrays.toString(weights.get(name).dims()) + " for " + describe(config));
      }
    }
    return new Imported(config, out);
  }

  /**
   * The architecture the parameters describe: the number of square 192- or 256-channel
   * convolutions beyond the seed's own gives level and depth; running statistics mean batch norm.
   */
  static ModelConfig inferConfig(Path file, Map<String, OnnxModel.Weight> weights)
      throws InteropException {
    int square192 = 0;
    int square256 = 0;
    boolean batchNorm = false;
    for (OnnxModel.Weight w : weights.values()) {
      String n = w.name();
      if (n.startsWith("features.") && n.endsWith(".weight") && w.rank() == 4) {
        long o = w.dims()[0];
        long i = w.dims()[1];
        if (o == i && o == Architecture.C2) {
          square192++;
        } else if (o == i && o == Architecture.C3) {
          square256++;
        }
      }
      batchNorm |= n.endsWith(".running_mean");
    }
    OnnxModel.Weight last = weights.get("classifier.6.weight");
    if (last == null || last.rank() != 2 || square192 < 1 || square256 < 1) {
      throw new InteropException(file, "not the seed's AlexNet: expected features.6 (192->192), "
          + "a 256->256 convolution and classifier.6.weight, found " + weights.size()
          + " parameters " + abbreviate(weights.keySet()));
    }
    int level = square192 > 1 ? 2 : ModelConfig.LEVEL_DEFAULT;
    int layers = level == 2 ? square192 - 1 : square256 - 1;
    if (level == 2 && square256 != 1) {
      throw new InteropException(file, "not the seed's AlexNet: extra layers at both levels ("
          + (square192 - 1) + " of 192 and " + (square256 - 1) + " of 256 channels)");
    }
    try {
      return new ModelConfig(layers, level, batchNorm, ModelConfig.DROPOUT_DEFAULT,
          Math.toIntExact(last.dims()[0]));
    } catch (IllegalArgumentException e) {
      throw new InteropException(file, "not the seed's AlexNet: " + e.getMessage());
    }
  }

  private static OnnxModel.Weight require(Path file, Map<String, OnnxModel.Weight> weights,
      String name, long[] shape) throws InteropException {
    OnnxModel.Weight w = weights.get(name);
    if (w == null) {
      throw new InteropException(file, "not the seed's AlexNet: parameter " + name + " is missing");
    }
    if (!Arrays.equals(w.dims(), shape)) {
      throw new InteropException(file, "not the seed's AlexNet: " + name + " has shape "
          + Arrays.toString(w.dims()) + ", expected " + Arrays.toString(shape));
    }
    return w;
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

  static String describe(ModelConfig c) {
    return c.numLayers() + " extra layers at level " + c.level()
        + (c.batchNorm() ? " with batch norm" : "");
  }

  private static String abbreviate(Set<String> names) {
    String s = names.toString();
    return s.length() > 200 ? s.substring(0, 200) + "...]" : s;
  }
}
