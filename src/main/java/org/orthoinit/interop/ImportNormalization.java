package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.floatAttr;
import static org.orthoinit.interop.ImportAttributes.intAttr;
import static org.orthoinit.interop.ImportAttributes.ints;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;

/**
 * The importer's normalization and regularization: BatchNormalization, LayerNormalization over
 * the channels (and its form before opset 17, a mean, a centring, a variance, a division: read
 * as one layer from its first ReduceMean), Dropout.
 */
final class ImportNormalization {

  private ImportNormalization() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("BatchNormalization", ImportNormalization::batchNorm, 1, 6, 7, 9, 14, 15);
    r.op("Dropout", ImportNormalization::dropout, 1, 6, 7, 10, 12, 13);
    r.op("LayerNormalization", ImportNormalization::layerNormalization, 17);
    // read only as steps of a layer norm, from its first ReduceMean
    r.op("Pow", (cx, n, index, since) -> {
      throw cx.refuse(n, "a Pow is read only as a layer norm's square, (x - mean(x)) ^ 2");
    }, 1, 7, 12, 13, 15);
    r.op("Sqrt", (cx, n, index, since) -> {
      throw cx.refuse(n, "a Sqrt is read only as a layer norm's sqrt(var + epsilon)");
    }, 1, 6, 13);
  }

  /**
   * LayerNormalization (opset 17) over the channels: of a channels-last image or a vector at the
   * last axis, of a [N, C, 1, 1] image at axis 1. Scale and B are the layer's weight and bias
   * (both, or the layer is refused); the Mean and InvStdDev outputs must be unused.
   */
  static void layerNormalization(ImportContext cx, NodeProto n, int index, int since)
      throws InteropException {
    String in = cx.anyLayerInput(n, 0);
    Dims x = cx.dimsOf(in);
    int rank = x.flat() ? 2 : cx.oneD ? 3 : 4;
    long axis = intAttr(n, "axis", -1);
    axis = axis < 0 ? axis + rank : axis;
    boolean last = cx.channelsLast.contains(n.getInput(0)) || x.flat();
    boolean channels = last ? axis == rank - 1
        : axis == 1 && x.height() == 1 && x.width() == 1;
    if (!channels || cx.oneD) {
      throw cx.refuse(n, "only a layer norm over the channels is supported (the last axis of a "
          + "channels-last image or of a vector), got axis " + intAttr(n, "axis", -1) + " of "
          + x + (cx.channelsLast.contains(n.getInput(0)) ? " (channels last)" : ""));
    }
    if (intAttr(n, "stash_type", 1) != 1) {
      throw cx.refuse(n, "stash_type " + intAttr(n, "stash_type", 1) + " (statistics in another"
          + " precision than float) is not supported");
    }
    if (n.getInputCount() < 3 || n.getInput(2).isEmpty()) {
      throw cx.refuse(n, "a layer norm without a bias (B) is not supported");
    }
    // Scale and B broadcast to the normalized axes: [C] when they are the last; for a
    // [N, C, 1, 1] image at axis 1, [C, 1, 1] (or [1, C, 1, 1])
    float[] weight = perChannelOf(cx, n, 1, x.channels(), last);
    float[] bias = perChannelOf(cx, n, 2, x.channels(), last);
    Layer.LayerNorm ln = new Layer.LayerNorm(cx.name(n, index, cx.origins.get(n.getInput(1))),
        in, x.channels(), floatAttr(n, "epsilon", 1e-5f), true);
    cx.keep(ln.weight(), n, 1, weight, false);
    cx.keep(ln.biasName(), n, 2, bias, false);
    cx.add(n, index, ln);
  }

  /** Input {@code i} of {@code n}: C values laid out as [C] (last) or [C, 1, 1] / [1, C, 1, 1]. */
  private static float[] perChannelOf(ImportContext cx, NodeProto n, int i, int c, boolean last)
      throws InteropException {
    if (last) {
      return cx.vector(n, i, c);
    }
    OnnxModel.Weight w = cx.weight(n, i);
    long[] dims = w.dims();
    if (!Arrays.equals(dims, new long[] {c, 1, 1}) && !Arrays.equals(dims, new long[] {1, c, 1,
        1})) {
      throw cx.refuse(n, "'" + w.name() + "' has shape " + Arrays.toString(dims) + ", expected ["
          + c + ", 1, 1] (one value per channel of a [N, C, 1, 1] image)");
    }
    return w.values();
  }

  /**
   * A mean over the channels (keepdims), read with the nodes after it as the layer norm PyTorch
   * writes before opset 17: d = x - mean(x), d / sqrt(mean(d ^ 2) + epsilon), then (when the
   * next two nodes are a Mul by a [C] weight and an Add of a [C] bias, trained parameters) the
   * affine part. Each step's output must be read only by the next (d by the Pow and the Div).
   * The steps are skipped when the graph reaches them.
   *
   * @param in the layer whose output the mean reads
   */
  static void decomposedLayerNorm(ImportContext cx, NodeProto mean, int index, String in)
      throws InteropException {
    String x = mean.getInput(0);
    Dims d = cx.dimsOf(in);
    boolean last = cx.channelsLast.contains(x) || d.flat();
    List<NodeProto> steps = new ArrayList<>();
    NodeProto sub = next(cx, mean, mean.getOutput(0), "Sub", "the mean's centring");
    if (!sub.getInput(0).equals(x) || !sub.getInput(1).equals(mean.getOutput(0))) {
      throw notLayerNorm(cx, mean, "the Sub after it is not x - mean(x)");
    }
    steps.add(sub);
    String centred = sub.getOutput(0);
    List<Integer> readers = cx.consumers(centred);
    NodeProto pow = null;
    NodeProto div = null;
    for (int r : readers) {
      NodeProto m = r < 0 ? null : cx.model.proto().getGraph().getNode(r);
      if (m != null && m.getInputCount() == 2 && m.getInput(0).equals(centred)) {
        if (m.getOpType().equals("Pow")) {
          pow = m;
        } else if (m.getOpType().equals("Div")) {
          div = m;
        }
      }
    }
    if (readers.size() != 2 || pow == null || div == null) {
      throw notLayerNorm(cx, mean, "x - mean(x) is not read by exactly a Pow and a Div");
    }
    OnnxModel.Weight two = cx.constantAhead(pow.getInput(1));
    if (two == null || two.values().length != 1 || two.values()[0] != 2f) {
      throw notLayerNorm(cx, mean, "the Pow is not a square (exponent 2)");
    }
    steps.add(pow);
    NodeProto variance = next(cx, mean, pow.getOutput(0), "ReduceMean", "the variance");
    if (!Arrays.equals(ints(variance, "axes", null), ints(mean, "axes", null))
        || intAttr(variance, "keepdims", 1) != 1) {
      throw notLayerNorm(cx, mean, "the variance is not a mean over the same axis");
    }
    steps.add(variance);
    NodeProto shift = next(cx, mean, variance.getOutput(0), "Add", "the epsilon");
    OnnxModel.Weight epsilon = cx.constantAhead(shift.getInput(
        shift.getInput(0).equals(variance.getOutput(0)) ? 1 : 0));
    if (epsilon == null || epsilon.values().length != 1 || !(epsilon.values()[0] >= 0f)) {
      throw notLayerNorm(cx, mean, "the variance's Add is not of one epsilon (a constant >= 0)");
    }
    steps.add(shift);
    NodeProto sqrt = next(cx, mean, shift.getOutput(0), "Sqrt", "the standard deviation");
    steps.add(sqrt);
    if (!div.getInput(1).equals(sqrt.getOutput(0)) || cx.soleConsumer(sqrt.getOutput(0)) != div) {
      throw notLayerNorm(cx, mean, "the Div is not (x - mean(x)) / sqrt(var + epsilon)");
    }
    steps.add(div);
    NodeProto output = div;
    // the affine part: a Mul by the weight, an Add of the bias, both trained parameters
    NodeProto mul = cx.soleConsumer(div.getOutput(0));
    int w = mul == null || !mul.getOpType().equals("Mul") || legacyBroadcast(cx, mul) ? -1
        : otherOf(mul, div.getOutput(0));
    NodeProto add = w < 0 ? null : cx.soleConsumer(mul.getOutput(0));
    int b = add == null || !add.getOpType().equals("Add") || legacyBroadcast(cx, add) ? -1
        : otherOf(add, mul.getOutput(0));
    boolean affine = b >= 0 && perChannel(cx, mul.getInput(w), d, last)
        && perChannel(cx, add.getInput(b), d, last);
    String weight = affine ? cx.origins.get(mul.getInput(w)) : null;
    Layer.LayerNorm ln = new Layer.LayerNorm(cx.name(mean, index, weight), in, d.channels(),
        epsilon.values()[0], affine);
    if (affine) {
      cx.keep(ln.weight(), mul, w, cx.constants.get(mul.getInput(w)).values(), false);
      cx.keep(ln.biasName(), add, b, cx.constants.get(add.getInput(b)).values(), false);
      steps.add(mul);
      steps.add(add);
      output = add;
    }
    cx.addAt(output, 0, ln);
    if (cx.channelsLast.contains(x)) {
      cx.channelsLast.add(output.getOutput(0));
    }
    for (NodeProto step : steps) {
      cx.absorbed.add(cx.indexOf(step));
    }
  }

  /**
   * The one node reading {@code tensor}, of type {@code op} with two inputs (one for Sqrt and
   * ReduceMean); else the layer norm is refused.
   */
  private static NodeProto next(ImportContext cx, NodeProto mean, String tensor, String op,
      String what) throws InteropException {
    NodeProto m = cx.soleConsumer(tensor);
    if (m == null || !m.getOpType().equals(op)) {
      throw notLayerNorm(cx, mean, "expected " + what + " (" + op + ") as the only reader of '"
          + tensor + "', found " + (m == null ? cx.consumers(tensor).size() + " readers"
          : m.getOpType()));
    }
    if (legacyBroadcast(cx, m)) {
      throw notLayerNorm(cx, mean, what + " (" + op + ") uses legacy broadcasting (broadcast 1)");
    }
    int inputs = op.equals("Sqrt") || op.equals("ReduceMean") ? 1 : 2;
    if (m.getInputCount() != inputs) {
      throw notLayerNorm(cx, mean, what + " (" + op + ") has " + m.getInputCount()
          + " inputs, expected " + inputs);
    }
    return m;
  }

  /**
   * Whether {@code n}, read as a step of another node's layer, asks for broadcasting as ops did
   * before opset 7 (broadcast 1, which its own handler refuses).
   */
  static boolean legacyBroadcast(ImportContext cx, NodeProto n) {
    return cx.opset < 7 && intAttr(n, "broadcast", 0) != 0;
  }

  private static InteropException notLayerNorm(ImportContext cx, NodeProto mean, String why) {
    return cx.refuse(mean, "a mean over the channels is read only as the first step of a layer "
        + "norm (ReduceMean, Sub, Pow 2, ReduceMean, Add epsilon, Sqrt, Div), and here " + why);
  }

  /** The input of binary {@code n} that is not {@code tensor}, when it is a float constant. */
  private static int otherOf(NodeProto n, String tensor) {
    if (n.getInputCount() != 2) {
      return -1;
    }
    return n.getInput(0).equals(tensor) ? 1 : n.getInput(1).equals(tensor) ? 0 : -1;
  }

  /** Whether {@code tensor} is a trained parameter of one value per channel of {@code d}. */
  private static boolean perChannel(ImportContext cx, String tensor, Dims d, boolean last) {
    OnnxModel.Weight w = cx.constants.get(tensor);
    if (w == null || !cx.parameterLike(tensor)) {
      return false;
    }
    long[] want = last ? new long[] {d.channels()} : new long[] {d.channels(), 1, 1};
    return Arrays.equals(w.dims(), want);
  }

  /**
   * Batch norm. Before opset 9 only the spatial form (one statistic per channel) is read. A
   * training_mode export (opset 14 on) is read when its running-statistics outputs are unused:
   * the network normalizes with batch statistics in training and with the running ones in
   * evaluation, whatever the export was made in.
   */
  static void batchNorm(ImportContext cx, NodeProto n, int index, int since)
      throws InteropException {
    if (since < 9 && intAttr(n, "spatial", 1) != 1) {
      throw cx.refuse(n, "spatial 0 (statistics per value, not per channel) is not supported");
    }
    String in = cx.layerInput(n, 0);
    Dims x = cx.dimsOf(in);
    OnnxModel.Weight scale = cx.weight(n, 1);
    String name = cx.name(n, index, scale.name());
    Layer.BatchNorm bn = new Layer.BatchNorm(name, in, x.channels(),
        floatAttr(n, "epsilon", 1e-5f), complement(floatAttr(n, "momentum", 0.9f)),
        cx.options.runningVariance());
    cx.keep(bn.weight(), n, 1, cx.vector(n, 1, x.channels()), false);
    cx.keep(bn.biasName(), n, 2, cx.vector(n, 2, x.channels()), false);
    cx.keep(bn.runningMean(), n, 3, cx.vector(n, 3, x.channels()), false);
    cx.keep(bn.runningVar(), n, 4, cx.vector(n, 4, x.channels()), false);
    cx.add(n, index, bn);
  }

  /**
   * PyTorch's momentum from ONNX's (which weighs the running value: 1 - PyTorch's), as the
   * shortest decimal that gives it back, so 0.9 reads as 0.1 and not 0.100000024.
   */
  static float complement(float onnx) {
    float exact = 1f - onnx;
    for (int digits = 1; digits <= 9; digits++) {
      float p = new BigDecimal(exact).round(new MathContext(digits)).floatValue();
      if (1f - p == onnx) {
        return p;
      }
    }
    return exact;
  }

  /**
   * A Dropout of its ratio. A training_mode input (training exports) must be known at import;
   * whatever it says, the network drops out in training and not in evaluation, as PyTorch's
   * module does.
   */
  static void dropout(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    String in = cx.layerInput(n, 0);
    float p = since < 12 ? floatAttr(n, "ratio", 0.5f) : 0.5f;
    if (since >= 12 && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      p = cx.scalar(n, 1);
    }
    if (n.getInputCount() > 2 && !n.getInput(2).isEmpty() && !cx.isStatic(n.getInput(2))) {
      throw cx.refuse(n, "its training_mode '" + n.getInput(2) + "' is not known at import");
    }
    boolean training = n.getInputCount() > 2 && !n.getInput(2).isEmpty()
        && cx.statics.get(n.getInput(2)).values().length == 1
        && cx.statics.get(n.getInput(2)).values()[0] != 0;
    if (!cx.options.classifier() && training && p > 0) {
      // read to be evaluated as the file says: its output would be random
      throw cx.refuse(n, "training_mode true with ratio " + p + " drops values at random, which "
          + "an evaluation does not reproduce");
    }
    cx.add(n, index, new Layer.Dropout(cx.name(n, index, null), in, p));
  }
}
