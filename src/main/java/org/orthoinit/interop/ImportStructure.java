package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.intAttr;
import static org.orthoinit.interop.ImportAttributes.ints;
import static org.orthoinit.interop.ImportAttributes.stringAttr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;

/**
 * The importer's structure: Concat, Flatten, Reshape (with a channel shuffle's two), Split of
 * channels, Pad.
 */
final class ImportStructure {

  private ImportStructure() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("Concat", ImportStructure::concat, 1, 4, 11, 13);
    r.op("Flatten", ImportStructure::flatten, 1, 9, 11, 13);
    r.op("Reshape", ImportStructure::reshape, 5, 13, 14);
    r.op("Split", ImportStructure::split, 2, 11, 13);
    r.op("Pad", (cx, n, index, since) -> pad(cx, n, since), 2, 11, 13);
  }

  static void concat(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    if (n.getInputList().stream().allMatch(cx::isStatic)) {
      List<Long> values = new ArrayList<>();
      for (String i : n.getInputList()) {
        for (long v : cx.statics.get(i).values()) {
          values.add(v);
        }
      }
      cx.statics.put(n.getOutput(0), new ImportContext.Static(values.stream()
          .mapToLong(Long::longValue).toArray(), false));
      return;
    }
    if (n.getInputCount() == 1) {
      cx.producers.put(n.getOutput(0), cx.layerInput(n, 0)); // torch.cat([x]): x itself
      return;
    }
    List<String> in = cx.layerInputs(n);
    boolean flat = cx.dimsOf(in.get(0)).flat();
    long axis = intAttr(n, "axis", 1);
    int rank = flat ? 2 : cx.oneD ? 3 : 4;
    cx.add(n, index, new Layer.Concat(cx.name(n, index, null), in,
        Math.toIntExact(axis < 0 ? axis + rank : axis)));
  }

  static void flatten(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    long axis = intAttr(n, "axis", 1);
    int rank = cx.dimsOf(cx.layerInput(n, 0)).flat() ? 2 : cx.oneD ? 3 : 4;
    if ((axis < 0 ? axis + rank : axis) != 1) {
      throw cx.refuse(n, "only axis 1 (keep the batch) is supported, got " + axis);
    }
    cx.add(n, index, new Layer.Flatten(cx.name(n, index, null), cx.layerInput(n, 0)));
  }

  /**
   * A Reshape to [N, C H W] (0, -1 or the batch first) is a flatten, one to the shape it has
   * its input; a Reshape to [N, g, C / g, H, W] and, after a Transpose [0, 2, 1, 3, 4], back to
   * [N, C, H, W] is a channel shuffle; others are refused. From opset 14, allowzero 1 makes a 0
   * a size, not a copy.
   */
  static void reshape(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    long[] target = cx.staticInput(n, 1, null);
    if (target == null) {
      throw cx.refuse(n, "its target shape is missing");
    }
    if (since >= 14 && intAttr(n, "allowzero", 0) != 0) {
      for (long t : target) {
        if (t == 0) {
          throw cx.refuse(n, "allowzero 1 with a size of 0 (an empty tensor) is not supported");
        }
      }
    }
    ImportContext.View view = cx.views.get(n.getInput(0));
    if (view != null) {
      shuffled(cx, n, index, view, target);
      return;
    }
    String in = cx.layerInput(n, 0);
    Dims d = cx.dimsOf(in);
    if (target.length == 5 && !d.flat() && !cx.oneD) {
      grouped(cx, n, in, d, target);
      return;
    }
    long[] own = d.flat() ? new long[] {d.channels()}
        : cx.oneD ? new long[] {d.channels(), d.width()}
        : new long[] {d.channels(), d.height(), d.width()};
    if (target.length == own.length + 1 && (target[0] == ImportContext.BATCH || target[0] == 0
        || target[0] == -1)) {
      boolean same = true;
      int unknown = 0;
      for (int i = 0; i < own.length; i++) {
        unknown += target[i + 1] == -1 ? 1 : 0;
        same &= target[i + 1] == own[i] || target[i + 1] == 0 || target[i + 1] == -1;
      }
      if (same && unknown + (target[0] == -1 ? 1 : 0) <= 1) {
        cx.producers.put(n.getOutput(0), in); // the shape it has
        return;
      }
    }
    long size = d.size();
    boolean batchFirst = target.length == 2
        && (target[0] == ImportContext.BATCH || target[0] == 0 || target[0] == -1);
    boolean flattens = batchFirst && (target[1] == -1 || target[1] == size)
        && !(target[0] == -1 && target[1] == -1);
    if (!flattens) {
      throw cx.refuse(n, "only a reshape to [N, " + size + "] (a flatten) is supported, got "
          + ImportContext.shapeText(target));
    }
    cx.add(n, index, new Layer.Flatten(cx.name(n, index, null), in));
  }

  /** A batch entry of a Reshape's target: the batch itself, 0 (copy it) or -1. */
  private static boolean batch(long t) {
    return t == ImportContext.BATCH || t == 0 || t == -1;
  }

  /** Whether {@code t}, an entry of a Reshape's target, keeps a dimension of {@code size}. */
  private static boolean keeps(long t, long size) {
    return t == size || t == -1;
  }

  /** The first step of a channel shuffle: [N, C, H, W] seen as [N, g, C / g, H, W]. */
  private static void grouped(ImportContext cx, NodeProto n, String in, Dims d, long[] target)
      throws InteropException {
    long g = target[1];
    long per = target[2];
    boolean copies = target[3] == 0 || target[4] == 0;
    if (!batch(target[0]) || copies || g < 1 || g > d.channels() || (per != -1 && per < 1)
        || (per != -1 && Math.multiplyExact(g, per) != d.channels())
        || d.channels() % g != 0 || !keeps(target[3], d.height()) || !keeps(target[4], d.width())
        || Arrays.stream(target).filter(t -> t == -1).count() > 1) {
      throw cx.refuse(n, "a reshape of " + d + " to " + ImportContext.shapeText(target)
          + " is not the [N, groups, C / groups, H, W] of a channel shuffle (not supported)");
    }
    cx.views.put(n.getOutput(0), new ImportContext.View(in, (int) g, false));
  }

  /** The last step of a channel shuffle: its swapped view back to [N, C, H, W]. */
  private static void shuffled(ImportContext cx, NodeProto n, int index, ImportContext.View view,
      long[] target) throws InteropException {
    Dims d = cx.dimsOf(view.layer());
    boolean back = target.length == 4 && batch(target[0]) && keeps(target[1], d.channels())
        && keeps(target[2], d.height()) && keeps(target[3], d.width())
        && Arrays.stream(target).filter(t -> t == -1).count() <= 1;
    if (!view.swapped() || !back) {
      throw cx.refuse(n, "only a channel shuffle is read from a 5-D view: a Reshape to [N, "
          + "groups, C / groups, H, W], a Transpose [0, 2, 1, 3, 4] and a Reshape to [N, "
          + d.channels() + ", " + d.height() + ", " + d.width() + "]; this reshapes "
          + (view.swapped() ? "the transposed view" : "the view before its transpose") + " to "
          + ImportContext.shapeText(target));
    }
    cx.add(n, index, new Layer.ChannelShuffle(cx.name(n, index, null), view.layer(),
        view.groups()));
  }

  /**
   * A Split of a layer's channels (axis 1) into consecutive parts: the sizes from the split
   * attribute (before opset 13) or input, else equal parts, one per output.
   */
  static void split(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    String in = cx.layerInput(n, 0);
    Dims d = cx.dimsOf(in);
    int rank = d.flat() ? 2 : cx.oneD ? 3 : 4;
    long axis = intAttr(n, "axis", 0);
    if ((axis < 0 ? axis + rank : axis) != 1) {
      throw cx.refuse(n, "only a split of channels (axis 1) is supported, got axis " + axis);
    }
    long[] sizes = since < 13 ? ints(n, "split", null) : cx.staticInput(n, 1, null);
    int parts = n.getOutputCount();
    if (sizes == null) {
      if (d.channels() % parts != 0) {
        throw cx.refuse(n, d.channels() + " channels do not split into " + parts
            + " equal parts");
      }
      sizes = new long[parts];
      Arrays.fill(sizes, d.channels() / parts);
    }
    if (sizes.length != parts || Arrays.stream(sizes).anyMatch(v -> v < 1 || v > d.channels())
        || Arrays.stream(sizes).sum() != d.channels()) {
      throw cx.refuse(n, "split sizes " + ImportContext.shapeText(sizes) + " do not divide "
          + d.channels() + " channels among its " + parts + " outputs");
    }
    if (parts == 1) {
      cx.producers.put(n.getOutput(0), in); // one part: all of it
      return;
    }
    int from = 0;
    for (int i = 0; i < parts; i++) {
      int to = from + (int) sizes[i];
      if (!n.getOutput(i).isEmpty()) {
        String name = cx.name(n, index, null) + "_" + i;
        cx.addAt(n, i, new Layer.ChannelSlice(cx.unique(name), in, from, to));
      }
      from = to;
    }
  }

  /**
   * A Pad that pads nothing (PyTorch writes one before some average pools) is its input; any
   * other is refused.
   */
  static void pad(ImportContext cx, NodeProto n, int since) throws InteropException {
    String in = cx.layerInput(n, 0);
    if (!stringAttr(n, "mode", "constant").equals("constant")) {
      throw cx.refuse(n, "only constant padding is supported");
    }
    long[] pads;
    if (since < 11) {
      pads = ints(n, "pads", new long[0]);
    } else if (n.getInputCount() < 2 || !cx.isStatic(n.getInput(1))) {
      throw cx.refuse(n, "its pads are not known at import");
    } else {
      pads = cx.statics.get(n.getInput(1)).values();
    }
    for (long p : pads) {
      if (p != 0) {
        throw cx.refuse(n, "only a Pad of zeros everywhere (none) is supported, got "
            + ImportContext.shapeText(pads));
      }
    }
    cx.producers.put(n.getOutput(0), in);
  }
}
