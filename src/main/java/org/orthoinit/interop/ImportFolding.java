package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.attribute;
import static org.orthoinit.interop.ImportAttributes.intAttr;
import static org.orthoinit.interop.ImportAttributes.ints;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.orthoinit.interop.onnx.AttributeProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.TensorProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;

/**
 * The importer's constants, aliases and folded shapes: Constant, Identity, Shape, Gather,
 * Unsqueeze, Slice, Cast, Transpose and arithmetic of values known at import; and where these
 * ops meet a layer's output, what they read there (a Slice of channels, a channel shuffle's
 * Transpose).
 */
final class ImportFolding {

  private ImportFolding() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("Constant", (cx, n, index, since) -> constant(cx, n), 1, 9, 11, 12, 13);
    r.op("Identity", (cx, n, index, since) -> identity(cx, n), 1, 13, 14, 16);
    r.op("Shape", (cx, n, index, since) -> shape(cx, n, since), 1, 13, 15);
    r.op("Gather", (cx, n, index, since) -> gather(cx, n), 1, 11, 13);
    r.op("Unsqueeze", (cx, n, index, since) -> unsqueeze(cx, n, since), 1, 11, 13);
    r.op("Slice", ImportFolding::slice, 1, 10, 11, 13);
    r.op("Cast", (cx, n, index, since) -> cast(cx, n), 6, 9, 13); // Cast-1's `to` is a string
    r.op("Transpose", (cx, n, index, since) -> transpose(cx, n), 1, 13);
  }

  static void constant(ImportContext cx, NodeProto n) throws InteropException {
    AttributeProto value = attribute(n, "value");
    if (value == null || !value.hasT() || n.getOutputCount() != 1) {
      throw cx.refuse(n, "only a Constant with a tensor value is supported");
    }
    TensorProto t = value.getT();
    String what = cx.describe(n);
    if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
      cx.statics.put(n.getOutput(0), new ImportContext.Static(cx.int64s(what, t),
          t.getDimsCount() == 0));
    } else if (t.getDataType() == TensorProto.DataType.BOOL_VALUE) {
      cx.statics.put(n.getOutput(0), new ImportContext.Static(cx.bools(what, t),
          t.getDimsCount() == 0));
    } else if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
      OnnxModel.Weight w = cx.model.decodeFloat(t.toBuilder().setName(n.getOutput(0)).build());
      cx.constants.put(n.getOutput(0), w);
      cx.origins.put(n.getOutput(0), n.getOutput(0));
    } else {
      throw cx.refuse(n, "only float, int64 and bool constants are supported, this is "
          + TensorProto.DataType.forNumber(t.getDataType()));
    }
  }

  static void identity(ImportContext cx, NodeProto n) throws InteropException {
    if (n.getInputCount() != 1) {
      throw cx.refuse(n, "an Identity has one input, this has " + n.getInputCount());
    }
    String in = n.getInput(0);
    String out = n.getOutput(0);
    if (cx.constants.containsKey(in)) {
      cx.constants.put(out, cx.constants.get(in).renamed(out));
      cx.origins.put(out, cx.origins.get(in));
      if (cx.flipped.contains(in)) {
        cx.flipped.add(out);
      }
    } else if (cx.statics.containsKey(in)) {
      cx.statics.put(out, cx.statics.get(in));
    } else if (cx.producers.containsKey(in)) {
      cx.alias(out, in);
    } else {
      throw cx.refuse(n, "reads '" + in + "', which no earlier node gives");
    }
  }

  /** A layer's shape, [N, C, H, W] or [N, F]; from opset 15, its axes start to end only. */
  static void shape(ImportContext cx, NodeProto n, int since) throws InteropException {
    String in = cx.layerInput(n, 0);
    Dims d = cx.dimsOf(in);
    long[] s = d.flat() ? new long[] {ImportContext.BATCH, d.channels()}
        : cx.oneD ? new long[] {ImportContext.BATCH, d.channels(), d.width()}
        : new long[] {ImportContext.BATCH, d.channels(), d.height(), d.width()};
    if (since >= 15) {
      int start = (int) clamp(intAttr(n, "start", 0), s.length);
      int end = (int) clamp(intAttr(n, "end", s.length), s.length);
      s = Arrays.copyOfRange(s, start, Math.max(start, end));
    }
    cx.statics.put(n.getOutput(0), new ImportContext.Static(s, false));
  }

  /** An axis bound as ONNX reads it: negative from the end, then clamped to [0, rank]. */
  static long clamp(long at, int rank) {
    long a = at < 0 ? at + rank : at;
    return Math.max(0, Math.min(rank, a));
  }

  /**
   * A Slice of known shape values (one axis), or of a layer's channels (a chunk): starts, ends,
   * axes and steps as attributes before opset 10, inputs from it.
   */
  static void slice(ImportContext cx, NodeProto n, int index, int since)
      throws InteropException {
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps;
    if (since < 10) {
      starts = ints(n, "starts", null);
      ends = ints(n, "ends", null);
      axes = ints(n, "axes", new long[] {0});
      steps = new long[] {1};
    } else {
      starts = cx.staticInput(n, 1, null);
      ends = cx.staticInput(n, 2, null);
      axes = cx.staticInput(n, 3, new long[] {0});
      steps = cx.staticInput(n, 4, new long[] {1});
    }
    if (!cx.isStatic(n.getInput(0))) {
      channels(cx, n, index, starts, ends, axes, steps);
      return;
    }
    long[] data = cx.statics.get(n.getInput(0)).values();
    if (starts == null || ends == null || starts.length != 1 || ends.length != 1
        || axes.length != 1 || steps.length != 1 || (axes[0] != 0 && axes[0] != -1)) {
      throw cx.refuse(n, "only a Slice of one axis of a vector is supported");
    }
    long step = steps[0];
    if (step == 0) {
      throw cx.refuse(n, "a step of 0 is not allowed");
    }
    int len = data.length;
    List<Long> out = new ArrayList<>();
    if (step > 0) {
      long from = clamp(starts[0], len);
      long to = clamp(ends[0], len);
      for (long i = from; i < to; i += step) {
        out.add(data[(int) i]);
      }
    } else {
      long from = Math.max(-1, Math.min(len - 1, starts[0] < 0 ? starts[0] + len : starts[0]));
      long to = Math.max(-1, Math.min(len - 1, ends[0] < 0 ? ends[0] + len : ends[0]));
      for (long i = from; i > to; i += step) {
        out.add(data[(int) i]);
      }
    }
    cx.statics.put(n.getOutput(0), new ImportContext.Static(out.stream()
        .mapToLong(Long::longValue).toArray(), false));
  }

  /** A Slice of a layer's channels (axis 1), step 1: channels [start, end) clamped to C. */
  private static void channels(ImportContext cx, NodeProto n, int index, long[] starts,
      long[] ends, long[] axes, long[] steps) throws InteropException {
    String in = cx.layerInput(n, 0);
    Dims d = cx.dimsOf(in);
    int rank = d.flat() ? 2 : cx.oneD ? 3 : 4;
    if (starts == null || ends == null || starts.length != 1 || ends.length != 1
        || axes.length != 1 || steps.length != 1) {
      throw cx.refuse(n, "only a Slice of one axis of a layer's output is supported");
    }
    if (starts[0] == ImportContext.BATCH || ends[0] == ImportContext.BATCH) {
      throw cx.refuse(n, "slices at the batch size, which is not known at import (not "
          + "supported)");
    }
    long axis = axes[0] < 0 ? axes[0] + rank : axes[0];
    if (axis != 1 || steps[0] != 1) {
      throw cx.refuse(n, "only a Slice of channels (axis 1, step 1) of a layer's output is "
          + "supported, got axis " + axes[0] + ", step " + steps[0]);
    }
    int from = (int) clamp(starts[0], d.channels());
    int to = (int) clamp(ends[0], d.channels());
    if (to <= from) {
      throw cx.refuse(n, "channels [" + starts[0] + ", " + ends[0] + ") of " + d.channels()
          + " are none");
    }
    if (from == 0 && to == d.channels()) {
      cx.producers.put(n.getOutput(0), in); // all of them: the input itself
      return;
    }
    cx.add(n, index, new Layer.ChannelSlice(cx.name(n, index, null), in, from, to));
  }

  /**
   * A Cast of known shape values to an integer type keeps them; of a layer's output, to float,
   * is that output.
   */
  static void cast(ImportContext cx, NodeProto n) throws InteropException {
    long to = intAttr(n, "to", 0);
    String in = n.getInputCount() > 0 ? n.getInput(0) : "";
    if (cx.isStatic(in)) {
      if (to != TensorProto.DataType.INT64_VALUE && to != TensorProto.DataType.INT32_VALUE) {
        throw cx.refuse(n, "only a Cast of shape values to an integer type is supported, to "
            + TensorProto.DataType.forNumber((int) to));
      }
      cx.statics.put(n.getOutput(0), cx.statics.get(in));
      return;
    }
    String layer = cx.layerInput(n, 0);
    if (to != TensorProto.DataType.FLOAT_VALUE) {
      throw cx.refuse(n, "a Cast of a layer's output to "
          + TensorProto.DataType.forNumber((int) to) + " is not supported (float only)");
    }
    cx.producers.put(n.getOutput(0), layer);
  }

  /**
   * Add, Sub, Mul or Div of two known shape values, element by element (one may be a single
   * value); Div truncates, as ONNX's integer division does.
   */
  static void arithmetic(ImportContext cx, NodeProto n, Layer.Arithmetic.Op op)
      throws InteropException {
    ImportContext.Static a = cx.statics.get(n.getInput(0));
    ImportContext.Static b = cx.statics.get(n.getInput(1));
    long[] x = a.values();
    long[] y = b.values();
    if (x.length != y.length && x.length != 1 && y.length != 1) {
      throw cx.refuse(n, "shape values " + ImportContext.shapeText(x) + " and "
          + ImportContext.shapeText(y) + " do not broadcast");
    }
    // one value broadcasts to the other's length, also to none
    long[] out = new long[x.length == 1 ? y.length : x.length];
    for (int i = 0; i < out.length; i++) {
      long p = x[x.length == 1 ? 0 : i];
      long q = y[y.length == 1 ? 0 : i];
      if (p == ImportContext.BATCH || q == ImportContext.BATCH) {
        throw cx.refuse(n, "arithmetic on the batch size, which is not known at import, is "
            + "not supported");
      }
      if (op == Layer.Arithmetic.Op.DIV && q == 0) {
        throw cx.refuse(n, "divides shape value " + p + " by 0");
      }
      out[i] = switch (op) {
        case ADD -> Math.addExact(p, q);
        case SUB -> Math.subtractExact(p, q);
        case MUL -> Math.multiplyExact(p, q);
        case DIV -> p / q;
      };
    }
    cx.statics.put(n.getOutput(0), new ImportContext.Static(out, a.scalar() && b.scalar()));
  }

  /** [N, C, H, W] -> [N, H, W, C], and back. */
  private static final long[] TO_LAST = {0, 2, 3, 1};
  private static final long[] TO_FIRST = {0, 3, 1, 2};

  /**
   * Transpose: of a constant matrix, folded (PyTorch writes one before a MatMul by a weight); of
   * a channel shuffle's 5-D view, the swap; of an image, channels last ([0, 2, 3, 1]) and back
   * ([0, 3, 1, 2]), which move no value (NHWC inside); else only the identity permutation.
   */
  static void transpose(ImportContext cx, NodeProto n) throws InteropException {
    String in = n.getInputCount() > 0 ? n.getInput(0) : "";
    OnnxModel.Weight w = cx.constants.get(in);
    if (w != null) {
      long[] perm = ints(n, "perm", new long[] {1, 0});
      if (w.rank() != 2 || !Arrays.equals(perm, new long[] {1, 0})) {
        throw cx.refuse(n, "only the transpose of a constant matrix is supported, got "
            + Arrays.toString(w.dims()) + " by perm " + Arrays.toString(perm));
      }
      int rows = Math.toIntExact(w.dims()[0]);
      int cols = Math.toIntExact(w.dims()[1]);
      String out = n.getOutput(0);
      cx.constants.put(out, new OnnxModel.Weight(out, new long[] {cols, rows},
          Layouts.transpose(w.values(), rows, cols)));
      cx.origins.put(out, cx.origins.get(in));
      if (!cx.flipped.remove(in)) {
        cx.flipped.add(out);
      }
      return;
    }
    long[] perm = ints(n, "perm", null);
    ImportContext.View view = cx.views.get(in);
    if (view != null) {
      if (view.swapped() || !Arrays.equals(perm, new long[] {0, 2, 1, 3, 4})) {
        throw cx.refuse(n, "only the Transpose [0, 2, 1, 3, 4] of a channel shuffle is read "
            + "from its 5-D view, got " + (perm == null ? "perm reversed" : "perm "
            + Arrays.toString(perm)) + (view.swapped() ? " of the transposed view" : ""));
      }
      cx.views.put(n.getOutput(0), new ImportContext.View(view.layer(), view.groups(), true));
      return;
    }
    String layer = cx.anyLayerInput(n, 0);
    Dims d = cx.dimsOf(layer);
    int rank = d.flat() ? 2 : cx.oneD ? 3 : 4;
    boolean last = cx.channelsLast.contains(in);
    if (rank == 4 && Arrays.equals(perm, last ? TO_FIRST : TO_LAST)) {
      // channels moved last (or back): the same values, NHWC inside either way
      cx.producers.put(n.getOutput(0), layer);
      if (!last) {
        cx.channelsLast.add(n.getOutput(0));
      }
      return;
    }
    if (last) {
      throw cx.refuse(n, "of a channels-last tensor, only the Transpose [0, 3, 1, 2] back to "
          + "channels first is supported, got " + (perm == null ? "perm reversed" : "perm "
          + Arrays.toString(perm)));
    }
    for (int i = 0; perm != null && i < perm.length; i++) {
      if (perm.length != rank || perm[i] != i) {
        throw cx.refuse(n, "transposing a layer's output is not supported (perm "
            + Arrays.toString(perm) + ")");
      }
    }
    if (perm == null) {
      throw cx.refuse(n, "transposing a layer's output is not supported (perm reversed)");
    }
    cx.producers.put(n.getOutput(0), layer);
  }

  static void gather(ImportContext cx, NodeProto n) throws InteropException {
    if (n.getInputCount() != 2 || !cx.isStatic(n.getInput(0)) || !cx.isStatic(n.getInput(1))
        || intAttr(n, "axis", 0) != 0) {
      throw cx.refuse(n, "only a Gather of known shape values along axis 0 is supported");
    }
    long[] data = cx.statics.get(n.getInput(0)).values();
    ImportContext.Static idx = cx.statics.get(n.getInput(1));
    long[] out = new long[idx.values().length];
    for (int i = 0; i < out.length; i++) {
      long j = idx.values()[i] < 0 ? idx.values()[i] + data.length : idx.values()[i];
      if (j < 0 || j >= data.length) {
        throw cx.refuse(n, "index " + idx.values()[i] + " is outside "
            + ImportContext.shapeText(data));
      }
      out[i] = data[(int) j];
    }
    cx.statics.put(n.getOutput(0), new ImportContext.Static(out, idx.scalar()));
  }

  static void unsqueeze(ImportContext cx, NodeProto n, int since) throws InteropException {
    if (n.getInputCount() < 1 || !cx.isStatic(n.getInput(0))) {
      throw cx.refuse(n, "only an Unsqueeze of known shape values is supported");
    }
    ImportContext.Static s = cx.statics.get(n.getInput(0));
    if (!s.scalar()) {
      throw cx.refuse(n, "only an Unsqueeze of a scalar is supported");
    }
    cx.statics.put(n.getOutput(0), new ImportContext.Static(s.values(), false));
  }
}
