package org.orthoinit.interop;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.TensorProto;
import org.orthoinit.model.Layer;
import org.orthoinit.model.Network;

/**
 * Reads the nodes of an ONNX graph into a {@link Network}: the inverse of {@link OnnxExport}, and
 * what {@code torch.onnx.export} writes for networks of the same layer kinds (see {@link
 * #supportedOps()}: convolutions, pools and spatial means, batch norm, dropout, the activations,
 * element-wise arithmetic, concatenation, flatten, linear layers), with PyTorch's {@code
 * x.view(x.size(0), -1)} (a Shape, Gather, Unsqueeze,
 * Concat chain into a Reshape) folded into a Flatten and its de-duplicating Identity nodes
 * followed. Weights come back in TensorFlow's layout.
 *
 * <p>Layers are named by their parameters ({@code features.9.weight} names {@code features.9}),
 * else by PyTorch's module path in the node name ({@code /features/features.2/Relu}), else by the
 * node name. Anything else is refused naming the node, its op and what is unsupported.
 *
 * <p>Each op family registers its ops here with their since-versions ({@link ImportConvolution},
 * {@link ImportPooling}, {@link ImportNormalization}, {@link ImportActivations}, {@link
 * ImportElementwise}, {@link ImportLinear}, {@link ImportStructure}, {@link ImportFolding}); a
 * handler reads one node into the {@link ImportContext} of the import, the attributes through
 * {@link ImportAttributes}. Adding an op is a handler and its registration.
 */
public final class OnnxImport {

  /**
   * A network read from ONNX, its variables in TensorFlow's layout, and where in the file each
   * variable came from.
   *
   * @param model the file as read, for writing it back with new values
   * @param sources by variable name (parameters and running statistics), the tensor holding it
   * @param oneD true for a graph of [N, C, L] signals (any-shape imports only): inside, they are
   *     images of height 1, [N, C, 1, L]
   */
  public record Imported(Network network, Map<String, float[]> weights, OnnxModel model,
      Map<String, Source> sources, boolean oneD) {}

  /**
   * The tensor of the file a variable came from: an initializer or a Constant node's output.
   *
   * @param tensor its name in the file
   * @param transposed whether the file holds it transposed from PyTorch's layout (a Gemm
   *     weight without transB is [in, out])
   */
  public record Source(String tensor, boolean transposed, float factor, boolean broadcast) {
    /** A tensor held as it is, or transposed. */
    public Source(String tensor, boolean transposed) {
      this(tensor, transposed, 1f, false);
    }
  }

  /**
   * How to read a graph.
   *
   * @param classifier read a CIFAR-10 classifier to train and evaluate: input [N, 3, 32, 32],
   *     output [N, classes], dropout in training only whatever a training export says;
   *     otherwise a graph to evaluate as the file says: any [N, C, H, W], [N, C, L] or [N, F]
   *     input and any output of the supported layers
   * @param inputValues values for graph inputs that are weights rather than the data (ONNX's
   *     operator tests give a Conv's W as an input), by input name
   * @param runningVariance what batch norms move their running variance towards in training:
   *     PyTorch's unbiased batch variance (the default), or ONNX's population one
   */
  public record Options(boolean classifier, Map<String, TensorProto> inputValues,
      Layer.BatchNorm.RunningVariance runningVariance) {
    /** CIFAR-10 classifiers, their weights in the file, PyTorch's running variance. */
    public static final Options CLASSIFIER = new Options(true, Map.of());

    public Options {
      inputValues = Map.copyOf(inputValues);
      java.util.Objects.requireNonNull(runningVariance);
    }

    /** With PyTorch's running variance. */
    public Options(boolean classifier, Map<String, TensorProto> inputValues) {
      this(classifier, inputValues, Layer.BatchNorm.RunningVariance.UNBIASED);
    }
  }

  /** The highest opset whose operator definitions this importer knows (ONNX 1.12's). */
  public static final int MAX_OPSET = 17;

  private OnnxImport() {}

  /** Reads {@code file}, a CIFAR-10 classifier. */
  public static Imported read(Path file) throws InteropException {
    return read(OnnxModel.read(file));
  }

  /** Reads an already parsed classifier (its file names it in errors). */
  public static Imported read(OnnxModel model) throws InteropException {
    return read(model, Options.CLASSIFIER);
  }

  /** Reads an already parsed model as {@code options} say. */
  public static Imported read(OnnxModel model, Options options) throws InteropException {
    return new ImportContext(model, options).run();
  }

  /** Reads one node of an op at the since-version of its definition in the model's opset. */
  @FunctionalInterface
  interface Handler {
    void read(ImportContext cx, NodeProto n, int index, int since) throws InteropException;
  }

  /**
   * An op this importer reads: the opset versions its definition changed in (ONNX's
   * since-versions, up to {@link #MAX_OPSET}) and the handler, which reads each of them.
   */
  record Op(int[] since, Handler handler) {
    /** The since-version in effect at {@code opset}: the newest not after it. */
    int at(long opset) {
      int version = -1;
      for (int v : since) {
        if (v <= opset) {
          version = v;
        }
      }
      return version;
    }
  }

  /** Where each op family registers its ops; an op registered twice is a defect. */
  static final class Registry {
    private final Map<String, Op> ops = new HashMap<>();

    private Registry() {}

    /** Registers {@code type}, read by {@code handler} at each of its {@code since}-versions. */
    void op(String type, Handler handler, int... since) {
      if (ops.put(type, new Op(since, handler)) != null) {
        throw new IllegalStateException(type + " is registered twice");
      }
    }
  }

  /** The registry: every op read, keyed by op type, with its since-versions. */
  private static final Map<String, Op> OPS = registry();

  private static Map<String, Op> registry() {
    Registry r = new Registry();
    ImportFolding.register(r);
    ImportConvolution.register(r);
    ImportPooling.register(r);
    ImportNormalization.register(r);
    ImportActivations.register(r);
    ImportElementwise.register(r);
    ImportLinear.register(r);
    ImportStructure.register(r);
    return Map.copyOf(r.ops);
  }

  /** The op of {@code type}; null when none is registered. */
  static Op op(String type) {
    return OPS.get(type);
  }

  /** The op types the importer reads, sorted. */
  public static List<String> supportedOps() {
    return OPS.keySet().stream().sorted().toList();
  }
}
