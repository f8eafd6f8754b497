package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.intAttr;
import static org.orthoinit.interop.ImportAttributes.ints;
import static org.orthoinit.interop.ImportAttributes.kernelShape;
import static org.orthoinit.interop.ImportAttributes.window;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.Window;

/**
 * The importer's pooling: MaxPool, AveragePool, GlobalAveragePool, and ReduceMean over an
 * image's spatial axes (PyTorch's {@code x.mean((2, 3))}).
 */
final class ImportPooling {

  private ImportPooling() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("MaxPool", ImportPooling::maxPool, 1, 8, 10, 11, 12);
    r.op("AveragePool", ImportPooling::avgPool, 1, 7, 10, 11);
    r.op("GlobalAveragePool", (cx, n, index, since) -> cx.add(n, index,
        new Layer.GlobalAvgPool(cx.name(n, index, null), cx.layerInput(n, 0))), 1);
    r.op("ReduceMean", ImportPooling::reduceMean, 1, 11, 13);
  }

  /**
   * A mean over the spatial axes of an image: a global average pool, [N, C, 1, 1], and with
   * keepdims 0 a flatten after it, [N, C]. A mean over the channels (keepdims) that a Sub reads
   * is the first step of a layer norm ({@link ImportNormalization#decomposedLayerNorm}). Means
   * over other axes are refused.
   */
  static void reduceMean(ImportContext cx, NodeProto n, int index, int since)
      throws InteropException {
    String in = cx.anyLayerInput(n, 0);
    Dims x = cx.dimsOf(in);
    int rank = x.flat() ? 2 : cx.oneD ? 3 : 4;
    long[] axes = ints(n, "axes", null);
    Set<Long> over = new TreeSet<>();
    for (long a : axes == null ? new long[0] : axes) {
      over.add(a < 0 ? a + rank : a);
    }
    boolean last = cx.channelsLast.contains(n.getInput(0));
    long channels = last ? rank - 1 : 1;
    NodeProto next = cx.soleConsumer(n.getOutput(0));
    if (over.equals(Set.of(channels)) && intAttr(n, "keepdims", 1) == 1 && !cx.oneD
        && next != null && next.getOpType().equals("Sub")) {
      ImportNormalization.decomposedLayerNorm(cx, n, index, in);
      return;
    }
    if (last) {
      throw cx.refuse(n, "of a channels-last image only a mean over the channels (a layer "
          + "norm's) is supported, got axes " + Arrays.toString(axes));
    }
    Set<Long> spatial = cx.oneD ? Set.of(2L) : Set.of(2L, 3L);
    if (x.flat() || !over.equals(spatial)) {
      throw cx.refuse(n, "only a mean over the spatial axes of an image is supported, got "
          + (axes == null ? "every axis" : "axes " + Arrays.toString(axes)) + " of " + x);
    }
    String pool = cx.name(n, index, null);
    cx.add(n, index, new Layer.GlobalAvgPool(pool, in));
    if (intAttr(n, "keepdims", 1) == 0) {
      cx.add(n, index, new Layer.Flatten(cx.name(n, index, null), pool));
    }
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
