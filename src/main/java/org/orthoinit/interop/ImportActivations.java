package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.floatAttr;

import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Layer;

/**
 * The importer's activations, in either axis order (element-wise): Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Erf (PyTorch's
 * exact GELU is x (1 + erf(x / sqrt 2)) / 2 in ONNX before opset 20), Clip.
 */
final class ImportActivations {

  private ImportActivations() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("Relu", (cx, n, index, since) -> cx.add(n, index,
        new Layer.Relu(cx.name(n, index, null), cx.anyLayerInput(n, 0))), 1, 6, 13, 14);
    r.op("LeakyRelu", (cx, n, index, since) -> cx.add(n, index, new Layer.LeakyRelu(
        cx.name(n, index, null), cx.anyLayerInput(n, 0), floatAttr(n, "alpha", 0.01f))), 1, 6, 16);
    r.op("Sigmoid", (cx, n, index, since) -> cx.add(n, index,
        new Layer.Sigmoid(cx.name(n, index, null), cx.anyLayerInput(n, 0))), 1, 6, 13);
    r.op("HardSigmoid", (cx, n, index, since) -> cx.add(n, index, new Layer.HardSigmoid(
        cx.name(n, index, null), cx.anyLayerInput(n, 0), floatAttr(n, "alpha", 0.2f),
        floatAttr(n, "beta", 0.5f))), 1, 6);
    r.op("HardSwish", (cx, n, index, since) -> cx.add(n, index,
        new Layer.HardSwish(cx.name(n, index, null), cx.anyLayerInput(n, 0))), 14);
    r.op("Erf", (cx, n, index, since) -> cx.add(n, index,
        new Layer.Erf(cx.name(n, index, null), cx.anyLayerInput(n, 0))), 9, 13);
    r.op("Clip", ImportActivations::clip, 1, 6, 11, 12, 13);
  }

  /** Clip: min and max are attributes before opset 11, optional inputs from it. */
  static void clip(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    String in = cx.anyLayerInput(n, 0);
    float min = Float.NEGATIVE_INFINITY;
    float max = Float.POSITIVE_INFINITY;
    if (since < 11) {
      min = floatAttr(n, "min", min);
      max = floatAttr(n, "max", max);
    } else {
      if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
        min = cx.scalar(n, 1);
      }
      if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
        max = cx.scalar(n, 2);
      }
    }
    cx.add(n, index, new Layer.Clip(cx.name(n, index, null), in, min, max));
  }
}
