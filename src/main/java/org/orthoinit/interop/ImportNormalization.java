package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.floatAttr;
import static org.orthoinit.interop.ImportAttributes.intAttr;

import java.math.BigDecimal;
import java.math.MathContext;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;

/** The importer's normalization and regularization: BatchNormalization, Dropout. */
final class ImportNormalization {

  private ImportNormalization() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("BatchNormalization", ImportNormalization::batchNorm, 1, 6, 7, 9, 14, 15);
    r.op("Dropout", ImportNormalization::dropout, 1, 6, 7, 10, 12, 13);
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
