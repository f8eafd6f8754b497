package org.orthoinit.interop;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** Checks that an export holds what was written into it. */
final class Weights {

  private Weights() {}

  /**
   * Throws unless {@code actual} holds every array of {@code expected}, bit for bit.
   *
   * @param file the export, named in the message
   */
  static void requireSame(Path file, Map<String, float[]> expected, Map<String, float[]> actual)
      throws InteropException {
    for (Map.Entry<String, float[]> e : expected.entrySet()) {
      float[] back = actual.get(e.getKey());
      if (back == null) {
        throw new InteropException(file, "written, it reads back without " + e.getKey()
            + "; not kept");
      }
      if (!Arrays.equals(e.getValue(), back)) {
        throw new InteropException(file, "written, it reads back " + e.getKey()
            + " with other values; not kept");
      }
    }
  }

  /**
   * A failed read-back of the temporary copy {@code tmp}, reported against {@code target}: the
   * user never named the temporary file, and it is gone by the time they read the message.
   */
  static InteropException notKept(Path target, Path tmp, InteropException e) {
    return new InteropException(target, "written, it does not read back (" + fault(tmp, e)
        + "); not kept", e);
  }

  /** The fault of {@code e} without the temporary file's name that starts its message. */
  static String fault(Path tmp, InteropException e) {
    String fault = e.getMessage();
    String prefix = tmp + ": ";
    return fault.startsWith(prefix) ? fault.substring(prefix.length()) : fault;
  }

  /**
   * max |a - b| / max |b|, or |a - b| when b is all zeros; NaN if the lengths differ. A NaN or an
   * infinity in the values gives NaN or infinity, never a small error.
   */
  static double relativeError(float[] a, float[] b) {
    if (a.length != b.length) {
      return Double.NaN;
    }
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs((double) a[i] - b[i]));
      scale = Math.max(scale, Math.abs((double) b[i]));
    }
    return scale == 0 ? diff : diff / scale;
  }
}
