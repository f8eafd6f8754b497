package org.orthoinit.interop;

import java.util.Arrays;
import org.orthoinit.interop.onnx.AttributeProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Window;

/**
 * A node's attributes as the importer reads them: single values with their defaults, and the
 * window of a convolution or pooling (kernel, strides, pads or auto_pad, dilations) as 2-D.
 */
final class ImportAttributes {

  private ImportAttributes() {}

  static AttributeProto attribute(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }

  static long intAttr(NodeProto n, String name, long otherwise) {
    AttributeProto a = attribute(n, name);
    return a == null ? otherwise : a.getI();
  }

  static float floatAttr(NodeProto n, String name, float otherwise) {
    AttributeProto a = attribute(n, name);
    return a == null ? otherwise : a.getF();
  }

  static String stringAttr(NodeProto n, String name, String otherwise) {
    AttributeProto a = attribute(n, name);
    return a == null ? otherwise : a.getS().toStringUtf8();
  }

  static long[] ints(NodeProto n, String name, long[] otherwise) {
    AttributeProto a = attribute(n, name);
    return a == null ? otherwise : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
  }

  static long[] kernelShape(ImportContext cx, NodeProto n) throws InteropException {
    long[] k = planar(cx, ints(n, "kernel_shape", null), 1);
    if (k == null || k.length != 2 || k[0] < 1 || k[1] < 1 || k[0] > Integer.MAX_VALUE
        || k[1] > Integer.MAX_VALUE) {
      throw cx.refuse(n, "kernel_shape must be two positive sizes, got "
          + (k == null ? "none" : Arrays.toString(k)));
    }
    return k;
  }

  /**
   * A window attribute as 2-D: itself in a 2-D graph; in a 1-D one, {@code [fill, v]} from its
   * one value (the height axis being 1). Null when it has the wrong length.
   */
  static long[] planar(ImportContext cx, long[] values, long fill) {
    if (values == null || !cx.oneD) {
      return values;
    }
    return values.length == 1 ? new long[] {fill, values[0]} : null;
  }

  /** ONNX pads [begin..., end...] as 2-D [top, left, bottom, right]; null when malformed. */
  static long[] planarPads(ImportContext cx, long[] pads) {
    if (!cx.oneD) {
      return pads;
    }
    return pads.length == 2 ? new long[] {0, pads[0], 0, pads[1]} : null;
  }

  /** A 2-D window from strides, pads (or auto_pad), dilations. */
  static Window window(ImportContext cx, NodeProto n, Dims x, int kh, int kw, boolean dilations)
      throws InteropException {
    if (x.flat()) {
      throw cx.refuse(n, "its input is a vector of " + x.channels() + ", not an image");
    }
    long[] ones = cx.oneD ? new long[] {1} : new long[] {1, 1};
    long[] strides = planar(cx, ints(n, "strides", ones), 1);
    long[] dil = dilations ? planar(cx, ints(n, "dilations", ones), 1) : new long[] {1, 1};
    long[] pads = planarPads(cx, ints(n, "pads", cx.oneD ? new long[2] : new long[4]));
    if (strides == null || dil == null || pads == null || strides.length != 2
        || dil.length != 2 || pads.length != 4) {
      throw cx.refuse(n, "only " + (cx.oneD ? "1-D windows in a 1-D graph" : "2-D windows")
          + " are supported (strides " + Arrays.toString(ints(n, "strides", null)) + ", pads "
          + Arrays.toString(ints(n, "pads", null)) + ")");
    }
    String auto = stringAttr(n, "auto_pad", "NOTSET");
    if (!auto.equals("NOTSET")) {
      long[] size = {x.height(), x.width()};
      long[] kernel = {kh, kw};
      for (int a = 0; a < 2; a++) {
        long extent = dil[a] * (kernel[a] - 1) + 1;
        long total = switch (auto) {
          case "VALID" -> 0;
          case "SAME_UPPER", "SAME_LOWER" ->
              Math.max(0, ((size[a] + strides[a] - 1) / strides[a] - 1) * strides[a] + extent
                  - size[a]);
          default -> throw cx.refuse(n, "auto_pad " + auto + " is not an ONNX setting");
        };
        long before = auto.equals("SAME_LOWER") ? total - total / 2 : total / 2;
        pads[a] = before;
        pads[a + 2] = total - before;
      }
    }
    // ONNX pads: [top, left, bottom, right]
    return new Window(kh, kw, Math.toIntExact(strides[0]), Math.toIntExact(strides[1]),
        Math.toIntExact(pads[0]), Math.toIntExact(pads[1]), Math.toIntExact(pads[2]),
        Math.toIntExact(pads[3]), Math.toIntExact(dil[0]), Math.toIntExact(dil[1]));
  }
}
