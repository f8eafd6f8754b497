package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.intAttr;

import java.util.Arrays;
import java.util.List;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;

/**
 * The importer's element-wise arithmetic, in either axis order: Add, Sub, Mul, Div by a
 * constant or of two layers' outputs (with broadcasting), Sum; a Mul by a trained factor per
 * channel is a layer scale.
 */
final class ImportElementwise {

  private ImportElementwise() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    for (Layer.Arithmetic.Op op : Layer.Arithmetic.Op.values()) {
      r.op(op.onnx(), (cx, n, index, since) -> arithmetic(cx, n, index, since, op),
          1, 6, 7, 13, 14);
    }
    r.op("Sum", (cx, n, index, since) -> sum(cx, n, index), 1, 6, 8, 13);
  }

  /**
   * Add, Sub, Mul or Div of a layer's output and a float constant that broadcasts to it over
   * the batch (a normalization's mean, a scale), or of two layers' outputs (broadcast axis by
   * axis). Before opset 7, legacy broadcasting (broadcast 1) is refused.
   */
  static void arithmetic(ImportContext cx, NodeProto n, int index, int since,
      Layer.Arithmetic.Op op) throws InteropException {
    if (since < 7 && intAttr(n, "broadcast", 0) != 0) {
      throw cx.refuse(n, "legacy broadcasting (broadcast 1) is not supported");
    }
    if (n.getInputCount() != 2) {
      throw cx.refuse(n, "it has " + n.getInputCount() + " inputs, expected 2");
    }
    if (cx.isStatic(n.getInput(0)) && cx.isStatic(n.getInput(1))) {
      ImportFolding.arithmetic(cx, n, op); // shape values
      return;
    }
    boolean first = cx.constants.containsKey(n.getInput(0));
    boolean second = cx.constants.containsKey(n.getInput(1));
    if (!first && !second) {
      // two layers' outputs: an Add of one shape as before, else an element-wise layer that
      // broadcasts (a squeeze-excitation's scale, SiLU's x * sigmoid(x))
      List<String> ins = cx.sameOrderInputs(n);
      String name = cx.name(n, index, null);
      if (op == Layer.Arithmetic.Op.ADD
          && cx.dimsOf(ins.get(0)).equals(cx.dimsOf(ins.get(1)))) {
        cx.add(n, index, new Layer.Add(name, ins));
      } else {
        cx.add(n, index, new Layer.Elementwise(name, ins.get(0), ins.get(1), op));
      }
      return;
    }
    if (first && second) {
      throw cx.refuse(n, "both inputs are constants, which is not supported");
    }
    String in = cx.anyLayerInput(n, first ? 1 : 0);
    boolean last = cx.channelsLast.contains(n.getInput(first ? 1 : 0));
    OnnxModel.Weight c = cx.constants.get(n.getInput(first ? 0 : 1));
    Dims x = cx.dimsOf(in);
    if (op == Layer.Arithmetic.Op.MUL && layerScale(cx, n, index, first ? 0 : 1, in, last)) {
      return;
    }
    // one sample's axes in the file's order
    long[] own = x.flat() ? new long[] {x.channels()}
        : cx.oneD ? new long[] {x.channels(), x.width()}
        : last ? new long[] {x.height(), x.width(), x.channels()}
        : new long[] {x.channels(), x.height(), x.width()};
    long[] dims = c.dims();
    int extra = dims.length - own.length;
    if (extra > 1 || (extra == 1 && dims[0] != 1)) {
      throw cx.refuse(n, "constant '" + c.name() + "' of shape " + Arrays.toString(dims)
          + " spans the batch of its input " + x + ", which is not supported");
    }
    long[] aligned = new long[own.length];
    for (int i = 0; i < own.length; i++) {
      int j = dims.length - own.length + i;
      aligned[i] = j < 0 ? 1 : dims[j];
      if (aligned[i] != 1 && aligned[i] != own[i]) {
        throw cx.refuse(n, "constant '" + c.name() + "' of shape " + Arrays.toString(dims)
            + " does not broadcast to its input " + x);
      }
    }
    Dims shape = x.flat() ? Dims.vector((int) aligned[0])
        : cx.oneD ? new Dims((int) aligned[0], 1, (int) aligned[1])
        : last ? new Dims((int) aligned[2], (int) aligned[0], (int) aligned[1])
        : new Dims((int) aligned[0], (int) aligned[1], (int) aligned[2]);
    float[] values = last ? Layouts.nhwcToNchw(c.values(), 1, shape.channels(),
        shape.height() * shape.width()) : c.values();
    cx.add(n, index, new Layer.Arithmetic(cx.name(n, index, null), in, op, shape, values,
        first));
  }

  /**
   * A Mul of an image by a trained factor per channel (ConvNeXt's layer scale): a file
   * initializer named as a module's parameter called {@code layer_scale} (torchvision's) or
   * {@code gamma} (timm's), of shape [C, 1, 1] (channels last: [C]), not a buffer of another
   * name. Reads it as a {@link Layer.Scale} named as the parameter; false (nothing read) for any
   * other Mul.
   */
  private static boolean layerScale(ImportContext cx, NodeProto n, int index, int at, String in,
      boolean last) throws InteropException {
    Dims x = cx.dimsOf(in);
    String origin = cx.origins.get(n.getInput(at));
    if (x.flat() || cx.oneD || !cx.parameterLike(n.getInput(at))
        || !Layer.Scale.NAME.matcher(origin).matches()) {
      return false;
    }
    OnnxModel.Weight c = cx.constants.get(n.getInput(at));
    long[] dims = c.dims();
    long[] want = last ? new long[] {x.channels()} : new long[] {x.channels(), 1, 1};
    if (!Arrays.equals(dims, want) || x.channels() == 1) {
      return false;
    }
    // an export that folds constants keeps one tensor for equal layer scales (all start at
    // 1e-6), read by several Muls: the later layers get _1, _2... after its name
    Layer.Scale scale = new Layer.Scale(cx.unique(ImportContext.sanitize(origin)), in,
        x.channels());
    cx.keep(scale.weight(), n, at, c.values(), false);
    cx.add(n, index, scale);
    return true;
  }

  /** The sum of two or more layers' outputs; of one, that output itself. */
  static void sum(ImportContext cx, NodeProto n, int index) throws InteropException {
    if (n.getInputCount() == 1) {
      cx.anyLayerInput(n, 0);
      cx.alias(n.getOutput(0), n.getInput(0));
      return;
    }
    cx.add(n, index, new Layer.Add(cx.name(n, index, null), cx.sameOrderInputs(n)));
  }
}
