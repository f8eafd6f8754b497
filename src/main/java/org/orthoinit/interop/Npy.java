package org.orthoinit.interop;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.orthoinit.util.AtomicFiles;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0), the format in
 * which the PyTorch reference fixtures and this project's exchanged arrays are stored.
 *
 * <p>A {@code .npy} file is the magic {@code \x93NUMPY}, a major and minor version byte, the
 * header length (2 bytes little-endian in version 1, 4 bytes in versions 2 and 3), a header
 * that is a Python dict literal with the keys {@code descr}, {@code fortran_order} and
 * {@code shape}, and then the raw elements.
 *
 * <p>Reading is defensive because the files come from outside: it rejects column-major
 * (Fortran-order) data, big-endian and object dtypes, oversized headers, and any data length
 * that does not match the shape, and it allocates memory only after checking that the file
 * really holds the bytes the header announces. Every failure is an {@link InteropException}
 * whose message starts with the file.
 *
 * <p>Writing produces version 1.0 files, as {@code numpy.save} does, replaced atomically.
 */
public final class Npy {

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  /**
   * The longest header accepted. NumPy itself refuses headers over 10000 bytes by default; the
   * limit here is higher so that any file NumPy can be told to read is readable, and low enough
   * that a corrupt length field cannot make the reader allocate gigabytes.
   */
  static final int MAX_HEADER_BYTES = 1 << 20;

  /** ByteBuffer and Java arrays are int-indexed; larger arrays cannot be held in one piece. */
  static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 8;

  /** Data starts at a multiple of this, as NumPy writes it, so that it can be mapped aligned. */
  private static final int ALIGNMENT = 64;

  private static final Set<String> HEADER_KEYS = Set.of("descr", "fortran_order", "shape");

  private Npy() {
  }

  /**
   * Reads a whole {@code .npy} file.
   *
   * @param file the file
   * @return its array, with the dtype in canonical form (see {@link NpyArray})
   * @throws InteropException if the file cannot be read, is not a {@code .npy} file, uses a
   *                          feature not supported here, or is truncated or too long
   */
  public static NpyArray read(Path file) throws InteropException {
    Objects.requireNonNull(file, "file");
    if (Files.isDirectory(file)) {
      throw new InteropException(file, "is a folder, not a .npy file");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return read(file, ch);
    } catch (IOException e) {
      throw new InteropException(file, "cannot read (" + InteropException.describe(e) + ")", e);
    }
  }

  private static NpyArray read(Path file, FileChannel ch) throws IOException, InteropException {
    long size = ch.size();
    if (size == 0) {
      throw new InteropException(file, "empty file, not a .npy file");
    }
    ByteBuffer pre = ByteBuffer.allocate((int) Math.min(size, 12)).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, pre, 0);
    pre.flip();
    int magicLen = Math.min(pre.limit(), MAGIC.length);
    for (int i = 0; i < magicLen; i++) {
      if (pre.get(i) != MAGIC[i]) {
        throw new InteropException(file,
            "not a .npy file (wrong magic: it does not start with \\x93NUMPY)");
      }
    }
    if (size < 8) {
      throw new InteropException(file, "truncated: " + size
          + " bytes, shorter than the .npy preamble");
    }
    int major = pre.get(6) & 0xff;
    int minor = pre.get(7) & 0xff;
    int lenBytes;
    if (major == 1) {
      lenBytes = 2;
    } else if (major == 2 || major == 3) {
      lenBytes = 4;
    } else {
      throw new InteropException(file, "unsupported .npy format version " + major + "." + minor
          + " (supported: 1.0, 2.0, 3.0)");
    }
    int preamble = 8 + lenBytes;
    if (size < preamble) {
      throw new InteropException(file, "truncated: " + size + " bytes, shorter than the .npy "
          + major + ".0 preamble of " + preamble);
    }
    long headerLen = lenBytes == 2 ? pre.getShort(8) & 0xffffL : pre.getInt(8) & 0xffffffffL;
    if (headerLen > MAX_HEADER_BYTES) {
      throw new InteropException(file, "header length " + headerLen + " is implausible (limit "
          + MAX_HEADER_BYTES + "); corrupt file");
    }
    if (preamble + headerLen > size) {
      throw new InteropException(file, "truncated: header declares " + headerLen
          + " header bytes, file has " + (size - preamble) + " after the preamble");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
    readFully(ch, hb, preamble);
    // Versions 1 and 2 store the header in latin-1, version 3 in UTF-8 (for field names).
    String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8
        : StandardCharsets.ISO_8859_1);
    Header h = parseHeader(file, header);

    long dataStart = preamble + headerLen;
    long available = size - dataStart;
    long count = NpyArray.count(h.shape);
    int item = NpyArray.itemSize(h.dtype);
    if (count < 0 || count > MAX_DATA_BYTES / item) {
      throw new InteropException(file, "shape " + shapeText(h.shape) + " of " + h.dtype
          + " is too large to load (limit " + MAX_DATA_BYTES + " bytes)");
    }
    long expected = count * item;
    if (available < expected) {
      throw new InteropException(file, "truncated: header declares " + expected
          + " data bytes, file has " + available);
    }
    if (available > expected) {
      throw new InteropException(file, "size mismatch: header declares " + expected
          + " data bytes, file has " + available + " (trailing bytes)");
    }
    // Only now, with the length checked against the real file, is the data allocated.
    ByteBuffer data = ByteBuffer.allocate((int) expected).order(ByteOrder.LITTLE_ENDIAN);
    if (readFully(ch, data, dataStart) < expected) {
      long end = dataStart + expected;
      throw new InteropException(file, "truncated while reading: file shrank below " + end
          + " bytes");
    }
    data.flip();
    return new NpyArray(h.dtype, h.shape, data);
  }

  /** The parts of a header that matter. */
  private record Header(String dtype, long[] shape) {
  }

  private static Header parseHeader(Path file, String header) throws InteropException {
    Object parsed;
    try {
      parsed = PyLiteral.parse(header);
    } catch (PyLiteral.SyntaxError e) {
      throw new InteropException(file, "bad .npy header (" + e.getMessage() + "): " + clip(header));
    }
    if (!(parsed instanceof Map<?, ?> dict)) {
      throw new InteropException(file, "bad .npy header (not a dict): " + clip(header));
    }
    // NumPy refuses headers with missing or extra keys, so a file with them would not
    // load there either: better to say so than to guess.
    if (!dict.keySet().equals(HEADER_KEYS)) {
      throw new InteropException(file, "bad .npy header (keys " + dict.keySet()
          + ", expected descr, fortran_order, shape): " + clip(header));
    }
    Object descr = dict.get("descr");
    if (!(descr instanceof String descrText)) {
      throw new InteropException(file, "structured or record dtype " + clip(String.valueOf(descr))
          + " is not supported");
    }
    String dtype = canonicalDtype(file, descrText);
    Object fortran = dict.get("fortran_order");
    if (!(fortran instanceof Boolean fortranOrder)) {
      throw new InteropException(file, "bad .npy header (fortran_order is " + fortran
          + ", expected True or False)");
    }
    if (fortranOrder) {
      throw new InteropException(file, "fortran_order True (column-major data) is not supported;"
          + " save a C-ordered array (numpy.ascontiguousarray)");
    }
    Object shapeValue = dict.get("shape");
    if (!(shapeValue instanceof PyLiteral.Tuple tuple)) {
      throw new InteropException(file, "bad .npy header (shape " + shapeValue + " is not a tuple)");
    }
    long[] shape = new long[tuple.items().size()];
    for (int i = 0; i < shape.length; i++) {
      Object d = tuple.items().get(i);
      if (!(d instanceof Long dim) || dim < 0) {
        throw new InteropException(file, "bad .npy header (shape dimension " + i + " is " + d
            + ", expected a non-negative integer)");
      }
      shape[i] = dim;
    }
    return new Header(dtype, shape);
  }

  /**
   * Reduces a NumPy type string to the canonical form {@link NpyArray} uses, rejecting what this
   * project cannot read: big-endian data, object arrays, and types outside the supported list.
   */
  private static String canonicalDtype(Path file, String descr) throws InteropException {
    if (descr.length() < 2) {
      throw new InteropException(file, "unsupported dtype '" + descr + "'");
    }
    char order = descr.charAt(0);
    String kindSize = "<>|=".indexOf(order) >= 0 ? descr.substring(1) : descr;
    if (kindSize.startsWith("O")) {
      throw new InteropException(file, "object dtype " + descr
          + " is not supported (it holds pickled Python objects)");
    }
    boolean single = kindSize.length() == 2 && kindSize.charAt(1) == '1';
    // One-byte types have no byte order; NumPy writes '|', but any mark is harmless there.
    String canonical = (single ? "|" : "<") + kindSize;
    if (!NpyArray.SUPPORTED_DTYPES.contains(canonical)) {
      throw new InteropException(file, "unsupported dtype " + descr + " (supported: "
          + String.join(" ", NpyArray.SUPPORTED_DTYPES) + ")");
    }
    if (!single && order == '>') {
      throw new InteropException(file, "big-endian dtype " + descr + " is not supported (expected "
          + canonical + ")");
    }
    if (!single && order != '<') {
      throw new InteropException(file, "dtype " + descr + " has no explicit byte order (expected "
          + canonical + ")");
    }
    return canonical;
  }

  /**
   * Writes a float32 array as a version 1.0 {@code .npy} file, replacing any existing file
   * atomically.
   *
   * @param file  the file to write; missing parent folders are created
   * @param data  the elements in C order
   * @param shape the dimensions, whose product must equal {@code data.length}; none means a
   *              0-dimensional array of one element
   * @throws InteropException         if the file cannot be written
   * @throws IllegalArgumentException if the shape does not match the data
   */
  public static void writeFloats(Path file, float[] data, long... shape) throws InteropException {
    write(file, NpyArray.ofFloats(data, shape));
  }

  /**
   * Writes an int64 array as a version 1.0 {@code .npy} file, replacing any existing file
   * atomically.
   *
   * @param file  the file to write; missing parent folders are created
   * @param data  the elements in C order
   * @param shape the dimensions, whose product must equal {@code data.length}
   * @throws InteropException         if the file cannot be written
   * @throws IllegalArgumentException if the shape does not match the data
   */
  public static void writeLongs(Path file, long[] data, long... shape) throws InteropException {
    write(file, NpyArray.ofLongs(data, shape));
  }

  /**
   * Writes a float64 array as a version 1.0 {@code .npy} file, replacing any existing file
   * atomically.
   *
   * @param file  the file to write; missing parent folders are created
   * @param data  the elements in C order
   * @param shape the dimensions, whose product must equal {@code data.length}
   * @throws InteropException         if the file cannot be written
   * @throws IllegalArgumentException if the shape does not match the data
   */
  public static void writeDoubles(Path file, double[] data, long... shape) throws InteropException {
    write(file, NpyArray.ofDoubles(data, shape));
  }

  /**
   * Writes an array as a {@code .npy} file that {@code numpy.load} reads, replacing any existing
   * file atomically: either the old file or the complete new one is there, never a part.
   *
   * @param file  the file to write; missing parent folders are created
   * @param array the array
   * @throws InteropException if the file cannot be written
   */
  public static void write(Path file, NpyArray array) throws InteropException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(array, "array");
    ByteBuffer head = ByteBuffer.wrap(headerBytes(array.dtype(), array.shape()));
    ByteBuffer data = array.data();
    try {
      AtomicFiles.write(file, ch -> {
        while (head.hasRemaining()) {
          ch.write(head);
        }
        while (data.hasRemaining()) {
          ch.write(data);
        }
      });
    } catch (IOException e) {
      throw new InteropException(file, "cannot write (" + InteropException.describe(e) + ")", e);
    }
  }

  /**
   * The preamble and header NumPy would write: the dict in NumPy's own spelling, padded with
   * spaces and ended by a newline so that the data starts at a multiple of 64 bytes. Version
   * 2.0 is used only if the header does not fit the 16-bit length of version 1.0.
   */
  static byte[] headerBytes(String dtype, long[] shape) {
    String dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': "
        + pythonTuple(shape) + ", }";
    int major = 1;
    int preamble = 10;
    int total = padded(preamble + dict.length() + 1);
    if (total - preamble > 0xffff) {
      major = 2;
      preamble = 12;
      total = padded(preamble + dict.length() + 1);
    }
    int headerLen = total - preamble;
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) major).put((byte) 0);
    if (major == 1) {
      b.putShort((short) headerLen);
    } else {
      b.putInt(headerLen);
    }
    b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
    while (b.position() < total - 1) {
      b.put((byte) ' ');
    }
    b.put((byte) '\n');
    return b.array();
  }

  private static int padded(int n) {
    return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  /** Python's repr of a tuple of ints: "()", "(8,)", "(2, 3, 4)". */
  private static String pythonTuple(long[] shape) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(shape[i]);
    }
    if (shape.length == 1) {
      sb.append(',');
    }
    return sb.append(')').toString();
  }

  /**
   * Checks that an array read from {@code file} has the expected dtype and shape.
   *
   * @param array the array read
   * @param file  the file it came from, named in the message
   * @param dtype the expected dtype in canonical form (e.g. {@code "<f4"}), or null for any
   * @param shape the expected dimensions; -1 matches any size, and the rank must match
   * @return {@code array}, for chaining
   * @throws InteropException naming the file, the expected and the actual dtype or shape
   */
  public static NpyArray expect(NpyArray array, Path file, String dtype,
      long... shape) throws InteropException {
    if (dtype != null && !dtype.equals(array.dtype())) {
      throw new InteropException(file, "dtype " + array.dtype() + ", expected " + dtype);
    }
    long[] actual = array.shape();
    boolean ok = actual.length == shape.length;
    for (int i = 0; ok && i < shape.length; i++) {
      ok = shape[i] == -1 || shape[i] == actual[i];
    }
    if (!ok) {
      throw new InteropException(file, "shape " + shapeText(actual) + ", expected "
          + shapeText(shape));
    }
    return array;
  }

  /**
   * Reads a file and checks its dtype and shape in one step; see {@link #expect}.
   *
   * @param file  the file
   * @param dtype the expected dtype, or null for any
   * @param shape the expected dimensions, -1 for any size
   * @return the array
   * @throws InteropException if reading fails or the array is not as expected
   */
  public static NpyArray read(Path file, String dtype, long... shape) throws InteropException {
    return expect(read(file), file, dtype, shape);
  }

  /** A shape for messages: [8, 3, 32, 32], with "?" for a wildcard. */
  static String shapeText(long[] shape) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(shape[i] == -1 ? "?" : Long.toString(shape[i]));
    }
    return sb.append(']').toString();
  }

  /** Reads until the buffer is full or the file ends; returns the bytes read. */
  private static long readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
    long read = 0;
    while (b.hasRemaining()) {
      int n = ch.read(b, position + read);
      if (n < 0) {
        break;
      }
      read += n;
    }
    return read;
  }

  /** Header text for a message: one line, not too long, control characters made visible. */
  private static String clip(String s) {
    String t = s.strip().replaceAll("\\p{Cntrl}", "?");
    return t.length() > 200 ? t.substring(0, 200) + "..." : t;
  }
}
