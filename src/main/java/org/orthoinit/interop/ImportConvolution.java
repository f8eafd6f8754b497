package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.intAttr;
import static org.orthoinit.interop.ImportAttributes.ints;
import static org.orthoinit.interop.ImportAttributes.planar;
import static org.orthoinit.interop.ImportAttributes.window;

import java.util.Arrays;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.Window;

/** The importer's convolutions: Conv, 1-D and 2-D, grouped and depthwise. */
final class ImportConvolution {

  private ImportConvolution() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("Conv", ImportConvolution::conv, 1, 11);
  }

  static void conv(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    String in = cx.layerInput(n, 0);
    Dims x = cx.dimsOf(in);
    OnnxModel.Weight w = cx.weight(n, 1);
    if (w.rank() != (cx.oneD ? 3 : 4)) {
      throw cx.refuse(n, "weight " + w.name() + " has shape " + Arrays.toString(w.dims())
          + ", expected " + (cx.oneD ? "[out, in / groups, k] (a 1-D graph)"
          : "[out, in / groups, kh, kw] (1-D and 2-D convolutions are supported)"));
    }
    int groups = (int) intAttr(n, "group", 1);
    int out = Math.toIntExact(w.dims()[0]);
    int kh = cx.oneD ? 1 : Math.toIntExact(w.dims()[2]);
    int kw = Math.toIntExact(w.dims()[cx.oneD ? 2 : 3]);
    long[] kernel = planar(cx, ints(n, "kernel_shape", cx.oneD ? new long[] {kw}
        : new long[] {kh, kw}), 1);
    if (kernel == null || !Arrays.equals(kernel, new long[] {kh, kw})) {
      throw cx.refuse(n, "kernel_shape " + Arrays.toString(kernel) + " does not match weight "
          + Arrays.toString(w.dims()));
    }
    if (x.flat() || w.dims()[1] * groups != x.channels()) {
      throw cx.refuse(n, "weight " + Arrays.toString(w.dims()) + " with group " + groups
          + " does not fit its input " + x);
    }
    Window window = window(cx, n, x, kh, kw, true);
    String name = cx.name(n, index, w.name());
    boolean bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty();
    Layer.Conv c = new Layer.Conv(name, in, x.channels(), out, window, groups, bias);
    cx.keep(c.weight(), n, 1, w.values(), false);
    if (bias) {
      cx.keep(c.biasName(), n, 2, cx.vector(n, 2, out), false);
    }
    cx.add(n, index, c);
  }
}
