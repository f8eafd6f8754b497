package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NpyTest {

  @TempDir
  Path dir;

  // ---- round trips -------------------------------------------------------------------

  @Test
  void floatsRoundTripShape8() throws Exception {
    float[] v = {0f, -1.5f, 3.25f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN,
        Float.NEGATIVE_INFINITY, -0f};
    Path f = dir.resolve("f8.npy");
    Npy.writeFloats(f, v, 8);
    NpyArray a = Npy.read(f);
    assertEquals("<f4", a.dtype());
    assertArrayEquals(new long[] {8}, a.shape());
    assertEquals(1, a.rank());
    assertEquals(8, a.count());
    // bit patterns, so that NaN and -0 are checked exactly
    float[] back = a.toFloats();
    for (int i = 0; i < v.length; i++) {
      assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(back[i]), "element " + i);
    }
  }

  @Test
  void floatsRoundTripShape234() throws Exception {
    float[] v = new float[24];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) Math.sin(i) * 1e3f;
    }
    Path f = dir.resolve("f234.npy");
    Npy.writeFloats(f, v, 2, 3, 4);
    NpyArray a = Npy.read(f);
    assertArrayEquals(new long[] {2, 3, 4}, a.shape());
    assertArrayEquals(v, a.toFloats());
    assertEquals(NpyArray.ofFloats(v, 2, 3, 4), a);
  }

  @Test
  void scalarRoundTrip() throws Exception {
    Path f = dir.resolve("scalar.npy");
    Npy.writeDoubles(f, new double[] {Math.PI});
    NpyArray a = Npy.read(f);
    assertEquals("<f8", a.dtype());
    assertEquals(0, a.rank());
    assertEquals(1, a.count());
    assertArrayEquals(new double[] {Math.PI}, a.toDoubles());
    assertEquals((float) Math.PI, a.toFloats()[0]);
    assertTrue(header(f).contains("'shape': ()"), header(f));
  }

  @Test
  void longsRoundTrip() throws Exception {
    long[] v = {Long.MIN_VALUE, -1, 0, 1, 9, Long.MAX_VALUE};
    Path f = dir.resolve("l.npy");
    Npy.writeLongs(f, v, 2, 3);
    NpyArray a = Npy.read(f);
    assertEquals("<i8", a.dtype());
    assertArrayEquals(v, a.toLongs());
    assertArrayEquals(new long[] {2, 3}, a.shape());
    assertThrows(IllegalStateException.class, a::toFloats);
  }

  @Test
  void doublesRoundTrip() throws Exception {
    double[] v = new double[24];
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.exp(i) / 7.0;
    }
    Path f = dir.resolve("d.npy");
    Npy.writeDoubles(f, v, 2, 3, 4);
    NpyArray a = Npy.read(f);
    assertArrayEquals(v, a.toDoubles());
    assertThrows(IllegalStateException.class, a::toLongs);
  }

  @Test
  void emptyArrayRoundTrip() throws Exception {
    Path f = dir.resolve("empty.npy");
    Npy.writeFloats(f, new float[0], 0, 3);
    NpyArray a = Npy.read(f);
    assertArrayEquals(new long[] {0, 3}, a.shape());
    assertEquals(0, a.toFloats().length);
  }

  @Test
  void writtenFileIsByteForByteWhatNumpySaveWrites() throws Exception {
    Path f = dir.resolve("layout.npy");
    Npy.writeFloats(f, new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 8);
    // numpy.save(f, numpy.arange(8, dtype=numpy.float32)) writes exactly these 160 bytes
    // (checked against numpy 2.4): 10-byte preamble, a 118-byte header padded with spaces
    // so that the data starts at 128, then 32 bytes of data
    String header = String.format("%-117s\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }");
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0});
    expected.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
    expected.writeBytes(floats(0, 1, 2, 3, 4, 5, 6, 7));
    assertArrayEquals(expected.toByteArray(), Files.readAllBytes(f));

    Npy.writeLongs(f, new long[6], 2, 3);
    assertEquals(String.format("%-117s\n",
        "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }"), header(f));
  }

  @Test
  void writeLeavesNoTemporaryFilesAndReplacesAtomically() throws Exception {
    Path f = dir.resolve("sub/dir/x.npy");
    Npy.writeLongs(f, new long[] {1, 2}, 2);
    Npy.writeLongs(f, new long[] {3, 4, 5}, 3);
    assertArrayEquals(new long[] {3, 4, 5}, Npy.read(f).toLongs());
    try (Stream<Path> s = Files.list(f.getParent())) {
      assertEquals(List.of(f), s.toList());
    }
  }

  @Test
  void failedWriteLeavesNoPartialFile() throws Exception {
    Path target = dir.resolve("target.npy");
    Files.createDirectory(target); // a non-empty folder cannot be replaced by a file
    Files.writeString(target.resolve("keep"), "x");
    InteropException e = assertThrows(InteropException.class,
        () -> Npy.writeFloats(target, new float[] {1}, 1));
    assertTrue(e.getMessage().startsWith(target + ": cannot write"), e.getMessage());
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(target), s.toList(), "the temporary file must be removed");
    }
  }

  @Test
  void writeRejectsShapeNotMatchingData() {
    assertThrows(IllegalArgumentException.class, () -> Npy.writeFloats(dir.resolve("x.npy"),
        new float[5], 2, 3));
    assertThrows(IllegalArgumentException.class, () -> Npy.writeFloats(dir.resolve("x.npy"),
        new float[2]));
    assertFalse(Files.exists(dir.resolve("x.npy")));
  }

  // ---- hand-crafted headers ----------------------------------------------------------

  @Test
  void readsVersion1HeaderWithOddSpacing() throws Exception {
    Path f = dir.resolve("v1.npy");
    String header = "{ \"shape\" :(2 , 3 , ) ,'fortran_order':False,'descr':'<i4'}";
    write(f, npy(1, header, ints(1, -2, 3, -4, 5, 6)));
    NpyArray a = Npy.read(f);
    assertEquals("<i4", a.dtype());
    assertArrayEquals(new long[] {2, 3}, a.shape());
    assertArrayEquals(new long[] {1, -2, 3, -4, 5, 6}, a.toLongs());
    assertArrayEquals(new double[] {1, -2, 3, -4, 5, 6}, a.toDoubles());
  }

  @Test
  void readsVersion2Header() throws Exception {
    Path f = dir.resolve("v2.npy");
    String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (8, ), }";
    write(f, npy(2, header, floats(0, 1, 2, 3, 4, 5, 6, 7)));
    NpyArray a = Npy.read(f);
    assertArrayEquals(new long[] {8}, a.shape());
    assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, a.toFloats());
  }

  @Test
  void readsVersion3HeaderAndPython2Longs() throws Exception {
    Path f = dir.resolve("v3.npy");
    String header = "{u'descr': u'|u1', 'fortran_order': False, 'shape': (2L, 2L), }";
    write(f, npy(3, header, new byte[] {0, 1, (byte) 200, (byte) 255}));
    NpyArray a = Npy.read(f);
    assertEquals("|u1", a.dtype());
    assertArrayEquals(new long[] {0, 1, 200, 255}, a.toLongs());
  }

  @Test
  void readsScalarHeaderAndOneByteTypesWithAnyOrderMark() throws Exception {
    Path f = dir.resolve("s.npy");
    write(f, npy(1, "{'descr': '<b1', 'fortran_order': False, 'shape': ()}", new byte[] {1}));
    NpyArray a = Npy.read(f);
    assertEquals("|b1", a.dtype());
    assertEquals(0, a.rank());
    assertArrayEquals(new long[] {1}, a.toLongs());
  }

  @Test
  void readsFloat64AsFloatsWithRounding() throws Exception {
    Path f = dir.resolve("f8.npy");
    String header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    write(f, npy(1, header, doubles(0.1, 1e300)));
    NpyArray a = Npy.read(f);
    assertArrayEquals(new float[] {0.1f, Float.POSITIVE_INFINITY}, a.toFloats());
  }

  // ---- rejections --------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 6, 7, 9, 30, 127, 128, 129, 150, 159})
  void rejectsTruncatedFiles(int length) throws Exception {
    Path full = dir.resolve("full.npy");
    Npy.writeFloats(full, new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 8);
    byte[] b = Files.readAllBytes(full);
    assertEquals(160, b.length);
    Path f = dir.resolve("cut" + length + ".npy");
    write(f, Arrays.copyOf(b, length));
    InteropException e = rejects(f, "truncated");
    if (length >= 128) {
      assertTrue(e.getMessage().endsWith("header declares 32 data bytes, file has "
          + (length - 128)), e.getMessage());
    }
  }

  @Test
  void rejectsEmptyFile() throws Exception {
    Path f = dir.resolve("empty.npy");
    write(f, new byte[0]);
    rejects(f, "empty file");
  }

  @Test
  void rejectsMissingFileAndFolder() {
    rejects(dir.resolve("missing.npy"), "NoSuchFileException");
    rejects(dir, "is a folder");
  }

  @Test
  void rejectsWrongMagic() throws Exception {
    Path f = dir.resolve("magic.npy");
    write(f, "PK\003\004 this is a zip, maybe an npz".getBytes(StandardCharsets.ISO_8859_1));
    rejects(f, "not a .npy file (wrong magic");
  }

  @Test
  void rejectsUnknownVersion() throws Exception {
    Path f = dir.resolve("v9.npy");
    byte[] b = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats(1));
    b[6] = 9;
    write(f, b);
    rejects(f, "unsupported .npy format version 9.0");
  }

  @Test
  void rejectsAbsurdHeaderLength() throws Exception {
    Path f = dir.resolve("huge.npy");
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(0x7fffffff);
    write(f, b.array());
    rejects(f, "header length 2147483647 is implausible");
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), ",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
    "{'descr': '<f4', 'fortran_order': False}",
    "['descr', '<f4']",
    "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1)}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': [1]}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1.0,)}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'descr': '<f4'}",
    "{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}",
    "{descr: '<f4', 'fortran_order': False, 'shape': (1,)}",
    "\0\0\0\0",
    ""
  })
  void rejectsBadHeaders(String header) throws Exception {
    Path f = dir.resolve("bad.npy");
    write(f, npy(1, header, floats(1)));
    rejects(f, "bad .npy header");
  }

  @Test
  void rejectsFortranOrder() throws Exception {
    Path f = dir.resolve("fortran.npy");
    String header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
    write(f, npy(1, header, floats(1, 2, 3, 4, 5, 6)));
    rejects(f, "fortran_order True");
  }

  @Test
  void rejectsBigEndian() throws Exception {
    Path f = dir.resolve("be.npy");
    String header = "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }";
    write(f, npy(1, header, new byte[] {0x3f, (byte) 0x80, 0, 0}));
    rejects(f, "big-endian dtype >f4");
  }

  @Test
  void rejectsObjectStructuredAndOtherDtypes() throws Exception {
    Path f = dir.resolve("dt.npy");
    write(f, npy(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]));
    rejects(f, "object dtype |O");
    write(f, npy(1,
        "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }",
        new byte[8]));
    rejects(f, "structured or record dtype");
    write(f, npy(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", new byte[12]));
    rejects(f, "unsupported dtype <U3");
    write(f, npy(1, "{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]));
    rejects(f, "no explicit byte order");
  }

  @Test
  void rejectsDataLongerThanShape() throws Exception {
    Path f = dir.resolve("long.npy");
    write(f, npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", floats(1, 2, 3)));
    InteropException e = rejects(f, "size mismatch");
    assertTrue(e.getMessage().endsWith(
        "header declares 8 data bytes, file has 12 (trailing bytes)"), e.getMessage());
  }

  @Test
  void rejectsHugeShapeWithoutAllocating() throws Exception {
    Path f = dir.resolve("big.npy");
    // 98304 data bytes announced, 1200 present: the reader must say so, not allocate
    write(f, npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 3, 32, 32), }",
        new byte[1200]));
    InteropException e = rejects(f, "truncated");
    assertEquals(f + ": truncated: header declares 98304 data bytes, file has 1200",
        e.getMessage());
    write(f, npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4000000000), }",
        new byte[8]));
    rejects(f, "too large to load");
    write(f, npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }",
        new byte[8]));
    rejects(f, "bad .npy header");
  }

  // ---- expect ------------------------------------------------------------------------

  @Test
  void expectChecksDtypeAndShape() throws Exception {
    Path f = dir.resolve("a.npy");
    NpyArray a = NpyArray.ofDoubles(new double[6], 2, 3);
    assertEquals(a, Npy.expect(a, f, "<f8", 2, 3));
    assertEquals(a, Npy.expect(a, f, "<f8", -1, 3));
    assertEquals(a, Npy.expect(a, f, null, -1, -1));
    InteropException e = assertThrows(InteropException.class, () -> Npy.expect(a, f, "<f4", 2, 3));
    assertEquals(f + ": dtype <f8, expected <f4", e.getMessage());
    e = assertThrows(InteropException.class, () -> Npy.expect(a, f, "<f8", -1, 4));
    assertEquals(f + ": shape [2, 3], expected [?, 4]", e.getMessage());
    e = assertThrows(InteropException.class, () -> Npy.expect(a, f, "<f8", 6));
    assertEquals(f + ": shape [2, 3], expected [6]", e.getMessage());
    Npy.write(f, a);
    assertEquals(a, Npy.read(f, "<f8", 2, -1));
    assertThrows(InteropException.class, () -> Npy.read(f, "<i8", 2, 3));
  }

  @Test
  void arrayIsImmutableAndValidated() {
    NpyArray a = NpyArray.ofFloats(new float[] {1, 2}, 2);
    a.shape()[0] = 5;
    assertArrayEquals(new long[] {2}, a.shape());
    assertThrows(java.nio.ReadOnlyBufferException.class, () -> a.data().put(0, (byte) 1));
    assertEquals(ByteOrder.LITTLE_ENDIAN, a.data().order());
    assertThrows(IllegalArgumentException.class, () -> new NpyArray("<f4", new long[] {3},
        ByteBuffer.allocate(8)));
    assertThrows(IllegalArgumentException.class, () -> new NpyArray(">f4", new long[] {2},
        ByteBuffer.allocate(8)));
    assertThrows(IllegalArgumentException.class, () -> new NpyArray("<f4", new long[] {-2},
        ByteBuffer.allocate(8)));
    assertEquals("NpyArray[dtype=<f4, shape=[2]]", a.toString());
  }

  // ---- helpers -----------------------------------------------------------------------

  private static InteropException rejects(Path f, String fault) {
    InteropException e = assertThrows(InteropException.class, () -> Npy.read(f));
    assertTrue(e.getMessage().startsWith(f + ": "), "must name the file: " + e.getMessage());
    assertTrue(e.getMessage().contains(fault), "expected '" + fault + "' in: " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertEquals(f, e.file());
    return e;
  }

  /** A .npy file with the given version, header text (padded as numpy pads it) and data. */
  static byte[] npy(int major, String dict, byte[] data) {
    byte[] d = dict.getBytes(StandardCharsets.UTF_8);
    int pre = major == 1 ? 10 : 12;
    int total = (pre + d.length + 1 + 63) / 64 * 64;
    int hlen = total - pre;
    ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    if (major == 1) {
      b.putShort((short) hlen);
    } else {
      b.putInt(hlen);
    }
    b.put(d);
    while (b.position() < total - 1) {
      b.put((byte) ' ');
    }
    b.put((byte) '\n').put(data);
    return b.array();
  }

  private static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  private static byte[] doubles(double... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(v);
    return b.array();
  }

  private static byte[] ints(int... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(v);
    return b.array();
  }

  private static void write(Path f, byte[] b) throws IOException {
    Files.write(f, b);
  }

  private static String header(Path f) throws IOException {
    byte[] b = Files.readAllBytes(f);
    int hlen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
    return new String(b, 10, hlen, StandardCharsets.ISO_8859_1);
  }
}
