package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.intAttr;
import static org.orthoinit.interop.ImportAttributes.kernelShape;
import static org.orthoinit.interop.ImportAttributes.window;

import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Layer;
import org.orthoinit.model.Window;

/** The importer's pooling: MaxPool, AveragePool, GlobalAveragePool. */
final class ImportPooling {

  private ImportPooling() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("MaxPool", ImportPooling::maxPool, 1, 8, 10, 11, 12);
    r.op("AveragePool", ImportPooling::avgPool, 1, 7, 10, 11);
    r.op("GlobalAveragePool", (cx, n, index, since) -> cx.add(n, index,
        new Layer.GlobalAvgPool(cx.name(n, index, null), cx.layerInput(n, 0))), 1);
  }

  static void maxPool(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    if (intAttr(n, "storage_order", 0) != 0) {
      throw cx.refuse(n, "storage_order 1 is not supported");
    }
    String in = cx.layerInput(n, 0);
    long[] k = kernelShape(cx, n);
    Window w = window(cx, n, cx.dimsOf(in), (int) k[0], (int) k[1], true);
    cx.add(n, index, new Layer.MaxPool(cx.name(n, index, null), in, w,
        intAttr(n, "ceil_mode", 0) != 0));
  }

  static void avgPool(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    String in = cx.layerInput(n, 0);
    long[] k = kernelShape(cx, n);
    Window w = window(cx, n, cx.dimsOf(in), (int) k[0], (int) k[1], false);
    cx.add(n, index, new Layer.AvgPool(cx.name(n, index, null), in, w,
        intAttr(n, "ceil_mode", 0) != 0, intAttr(n, "count_include_pad", 0) != 0));
  }
}
