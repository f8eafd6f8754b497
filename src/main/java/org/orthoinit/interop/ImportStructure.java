package org.orthoinit.interop;

import static org.orthoinit.interop.ImportAttributes.intAttr;
import static org.orthoinit.interop.ImportAttributes.ints;
import static org.orthoinit.interop.ImportAttributes.stringAttr;

import java.util.ArrayList;
import java.util.List;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;

/** The importer's structure: Concat, Flatten, Reshape, Pad. */
final class ImportStructure {

  private ImportStructure() {}

  /** Registers this family's ops with their since-versions. */
  static void register(OnnxImport.Registry r) {
    r.op("Concat", ImportStructure::concat, 1, 4, 11, 13);
    r.op("Flatten", ImportStructure::flatten, 1, 9, 11, 13);
    r.op("Reshape", ImportStructure::reshape, 5, 13, 14);
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
   * its input; others are refused. From opset 14, allowzero 1 makes a 0 a size, not a copy.
   */
  static void reshape(ImportContext cx, NodeProto n, int index, int since) throws InteropException {
    String in = cx.layerInput(n, 0);
    if (n.getInputCount() < 2 || !cx.isStatic(n.getInput(1))) {
      throw cx.refuse(n, "its target shape is not known at import");
    }
    long[] target = cx.statics.get(n.getInput(1)).values();
    Dims d = cx.dimsOf(in);
    if (since >= 14 && intAttr(n, "allowzero", 0) != 0) {
      for (long t : target) {
        if (t == 0) {
          throw cx.refuse(n, "allowzero 1 with a size of 0 (an empty tensor) is not supported");
        }
      }
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
