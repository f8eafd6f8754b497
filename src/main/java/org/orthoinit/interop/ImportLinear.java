package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.floatAttr;
import static org.orthoinit.interop.ImportAttributes.intAttr;

import java.util.Arrays;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;

/** The importer's linear layers: Gemm, MatMul by a constant. */
final class ImportLinear {

  private ImportLinear() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("Gemm", ImportLinear::gemm, 1, 6, 7, 9, 11, 13);
    r.op("MatMul", ImportLinear::matMul, 1, 9, 13);
  }

  /**
   * Gemm: alpha A B^(transB) + beta C for A a layer's output [N, in], B and C constants. alpha
   * and beta are taken into the parameters (the weight is alpha B, the bias beta C, and the file
   * gets the values back divided by them); a bias of one value for all outputs ([] or [1]) is
   * spread to each. transA would transpose the batch and is refused.
   */
  static void gemm(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    if (intAttr(n, "transA", 0) != 0) {
      throw cx.refuse(n, "transA 1 transposes the batch axis, which is not supported");
    }
    if (since < 7 && intAttr(n, "broadcast", since < 6 ? 0 : 1) == 0
        && n.getInputCount() > 2) {
      throw cx.refuse(n, "broadcast 0 (a bias per sample) is not supported");
    }
    float alpha = floatAttr(n, "alpha", 1f);
    float beta = floatAttr(n, "beta", 1f);
    if (alpha == 0f || !Float.isFinite(alpha) || !Float.isFinite(beta)) {
      throw cx.refuse(n, "alpha " + alpha + " and beta " + beta + " must be finite, alpha not 0");
    }
    String in = cx.layerInput(n, 0);
    Dims x = cx.dimsOf(in);
    OnnxModel.Weight w = cx.weight(n, 1);
    boolean transB = intAttr(n, "transB", 0) != 0;
    if (w.rank() != 2) {
      throw cx.refuse(n, "weight " + w.name() + " has shape " + Arrays.toString(w.dims()));
    }
    int out = Math.toIntExact(transB ? w.dims()[0] : w.dims()[1]);
    int inSize = Math.toIntExact(transB ? w.dims()[1] : w.dims()[0]);
    if (!x.flat() || x.channels() != inSize) {
      throw cx.refuse(n, "weight " + Arrays.toString(w.dims()) + (transB ? " (transB)" : "")
          + " does not fit its input " + x);
    }
    boolean bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty() && beta != 0f;
    Layer.Linear l = new Layer.Linear(cx.name(n, index, w.name()), in, inSize, out, bias);
    // PyTorch's layout is [out, in]
    float[] weight = transB ? w.values() : Layouts.transpose(w.values(), inSize, out);
    cx.keep(l.weight(), n, 1, scaled(weight, alpha), !transB, alpha, false);
    if (bias) {
      OnnxModel.Weight c = cx.weight(n, 2);
      long[] dims = c.dims();
      boolean one = c.values().length == 1 && dims.length <= 1;
      boolean vector = c.values().length == out && (dims.length == 1
          || (dims.length == 2 && dims[0] == 1));
      if (!one && !vector) {
        throw cx.refuse(n, "bias '" + c.name() + "' has shape " + Arrays.toString(dims)
            + ", expected [" + out + "], [1, " + out + "] or one value (a bias per sample is not"
            + " supported)");
      }
      float[] values = one ? filled(out, c.values()[0]) : c.values();
      cx.keep(l.biasName(), n, 2, scaled(values, beta), false, beta, one);
    }
    cx.add(n, index, l);
  }

  /**
   * MatMul of a layer's output by a constant [in, out]: a linear layer, of a vector [N, in] or of
   * each position of a channels-last image [N, H, W, in] (PyTorch's Linear there). When the one
   * node reading the product is an Add of a [out] bias that is a trained parameter, it is the
   * layer's bias, and that Add is skipped.
   */
  static void matMul(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    String in = cx.anyLayerInput(n, 0);
    boolean last = cx.channelsLast.contains(n.getInput(0));
    Dims x = cx.dimsOf(in);
    OnnxModel.Weight w = cx.weight(n, 1);
    if (w.rank() != 2 || (!x.flat() && !last) || x.channels() != w.dims()[0]) {
      throw cx.refuse(n, "only a product of [N, in] vectors or of channels-last [N, H, W, in] "
          + "images by a constant [in, out] matrix is supported, got " + x
          + (last ? " (channels last)" : "") + " by " + Arrays.toString(w.dims()));
    }
    int inSize = Math.toIntExact(w.dims()[0]);
    int out = Math.toIntExact(w.dims()[1]);
    String origin = cx.origins.get(n.getInput(1));
    String name = cx.name(n, index, origin != null && origin.endsWith(".weight") ? origin
        : w.name());
    NodeProto add = cx.soleConsumer(n.getOutput(0));
    int b = add == null || !add.getOpType().equals("Add") || add.getInputCount() != 2
        || ImportNormalization.legacyBroadcast(cx, add) ? -1
        : add.getInput(0).equals(n.getOutput(0)) ? 1 : 0;
    OnnxModel.Weight bias = b < 0 ? null : cx.constantAhead(add.getInput(b));
    boolean biased = bias != null && cx.parameterLike(add.getInput(b))
        && Arrays.equals(bias.dims(), new long[] {out});
    Layer.Linear l = new Layer.Linear(name, in, inSize, out, biased);
    cx.keep(l.weight(), n, 1, Layouts.transpose(w.values(), inSize, out), true, 1f, false);
    if (!biased) {
      cx.add(n, index, l);
      return;
    }
    cx.keep(l.biasName(), add, b, bias.values(), false);
    cx.addAt(add, 0, l);
    if (last) {
      cx.channelsLast.add(add.getOutput(0));
    }
    cx.absorbed.add(cx.indexOf(add));
  }

  static float[] scaled(float[] values, float factor) {
    if (factor == 1f) {
      return values;
    }
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = values[i] * factor;
    }
    return out;
  }

  static float[] filled(int n, float value) {
    float[] out = new float[n];
    Arrays.fill(out, value);
    return out;
  }
}
