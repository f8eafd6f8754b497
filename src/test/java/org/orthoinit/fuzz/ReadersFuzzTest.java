package org.orthoinit.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.Fuzz;
import org.orthoinit.TestImages;
import org.orthoinit.data.Cifar10;
import org.orthoinit.data.DataException;
import org.orthoinit.experiment.ExperimentException;
import org.orthoinit.experiment.Figure7;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.interop.InteropException;
import org.orthoinit.interop.Npy;
import org.orthoinit.interop.OnnxModel;
import org.orthoinit.interop.PytorchResults;
import org.orthoinit.interop.onnx.GraphProto;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.OperatorSetIdProto;
import org.orthoinit.interop.onnx.TensorProto;

/**
 * Every reader against hostile variants of a valid file: truncations, flipped bytes, extra bytes,
 * empty and random files, and lengths that promise more than the file holds. Each must read the
 * file or refuse it with its own exception and a one-line message, in bounded time and memory.
 * The counts go to the test's output.
 */
class ReadersFuzzTest {

  @TempDir
  Path tmp;

  private static void report(String reader, Fuzz.Outcome o) {
    System.out.printf("fuzz %-22s %5d inputs, %5d refused, %5d read%n", reader, o.tried(),
        o.refused(), o.tried() - o.refused());
    assertTrue(o.refused() > o.tried() / 2, reader + ": " + o);
  }

  /**
   * Requires each hand-built hostile input to be refused, with a message of one line naming the
   * file and the fault {@code faults} gives for it (every input has one).
   */
  private static void eachRefused(List<Fuzz.Variant> extra, Map<String, String> faults,
      Path file, Class<? extends Exception> type, Fuzz.Reader reader) throws Exception {
    for (Fuzz.Variant v : extra) {
      Fuzz.refuses(v, file, type, reader, faults.getOrDefault(v.name(), ""));
    }
    if (System.getProperty("orthoinit.fuzz.print") == null) {
      assertEquals(extra.stream().map(Fuzz.Variant::name).collect(Collectors.toSet()),
          faults.keySet());
    }
  }

  @Test
  void cifarBatches() throws Exception {
    Path dir = tmp.resolve("cifar");
    Path file = TestImages.writeBatch(dir.resolve("data_batch_1.bin"), 3, 1);
    byte[] valid = Files.readAllBytes(file);
    List<Fuzz.Variant> extra = new ArrayList<>();
    for (int label : new int[] {10, 127, 255}) {
      byte[] b = valid.clone();
      b[TestImages.RECORD] = (byte) label; // the second record's label
      extra.add(new Fuzz.Variant("label " + label, b));
    }
    Fuzz.Outcome o = Fuzz.run(Fuzz.variants(valid, 1, 300, extra), file, DataException.class,
        f -> Cifar10.load(dir, Cifar10.Split.TRAIN));
    report("CIFAR-10 batch", o);
    eachRefused(extra, Map.of("label 10", "record 1 has label 10, expected 0..9",
        "label 127", "record 1 has label 127, expected 0..9",
        "label 255", "record 1 has label 255, expected 0..9"), file, DataException.class,
        f -> Cifar10.load(dir, Cifar10.Split.TRAIN));
  }

  /** A .npy file with this header text, padded as numpy pads it, and {@code data} bytes. */
  private static byte[] npy(String header, int data) {
    int unpadded = 10 + header.length() + 1;
    int pad = (64 - unpadded % 64) % 64;
    String h = header + " ".repeat(pad) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + h.length() + data).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1)
        .put((byte) 0).putShort((short) h.length()).put(h.getBytes(StandardCharsets.ISO_8859_1));
    return b.array();
  }

  @Test
  void npyArrays() throws Exception {
    Path file = tmp.resolve("x.npy");
    Npy.writeFloats(file, new float[24], 2, 3, 4);
    byte[] valid = Files.readAllBytes(file);
    List<Fuzz.Variant> extra = new ArrayList<>();
    for (String shape : new String[] {"(1000000000000, 3)", "(4611686018427387904, 4)",
        "(-1, 24)", "(99999999999999999999999,)", "(2, 3, 4" }) {
      extra.add(new Fuzz.Variant("shape " + shape, npy("{'descr': '<f4', 'fortran_order': "
          + "False, 'shape': " + shape + ", }", 96)));
    }
    extra.add(new Fuzz.Variant("dtype <f16", npy("{'descr': '<f16', 'fortran_order': False, "
        + "'shape': (24,), }", 96)));
    extra.add(new Fuzz.Variant("fortran order", npy("{'descr': '<f4', 'fortran_order': True, "
        + "'shape': (2, 12), }", 96)));
    extra.add(new Fuzz.Variant("no dict", npy("nonsense", 96)));
    byte[] hugeHeader = valid.clone();
    hugeHeader[8] = (byte) 0xff;
    hugeHeader[9] = (byte) 0xff;
    extra.add(new Fuzz.Variant("header length 65535", hugeHeader));
    byte[] v2 = valid.clone();
    v2[6] = 2; // version 2 reads a 4-byte header length: here a huge one
    extra.add(new Fuzz.Variant("version 2 length", v2));
    Fuzz.Outcome o = Fuzz.run(Fuzz.variants(valid, 2, 300, extra), file,
        InteropException.class, Npy::read);
    report(".npy", o);
    eachRefused(extra, Map.ofEntries(
        Map.entry("shape (1000000000000, 3)", "too large to load"),
        Map.entry("shape (4611686018427387904, 4)", "too large to load"),
        Map.entry("shape (-1, 24)", "shape dimension 0 is -1"),
        Map.entry("shape (99999999999999999999999,)", "integer out of range"),
        Map.entry("shape (2, 3, 4", "bad .npy header"),
        Map.entry("dtype <f16", "unsupported dtype <f16"),
        Map.entry("fortran order", "fortran_order True"),
        Map.entry("no dict", "bad .npy header"),
        Map.entry("header length 65535", "header declares 65535 header bytes"),
        Map.entry("version 2 length", "implausible")), file, InteropException.class, Npy::read);
  }

  /** A tiny ONNX model: two float initializers, an Identity alias, opset 13. */
  private static ModelProto tinyOnnx(long[] dims, int floats) {
    TensorProto.Builder t = TensorProto.newBuilder().setName("features.0.weight")
        .setDataType(1).setRawData(ByteString.copyFrom(new byte[4 * floats]));
    for (long d : dims) {
      t.addDims(d);
    }
    GraphProto g = GraphProto.newBuilder().setName("g").addInitializer(t)
        .addInitializer(TensorProto.newBuilder().setName("b").setDataType(1).addDims(2)
            .addFloatData(1f).addFloatData(2f))
        .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("b")
            .addOutput("features.0.bias"))
        .build();
    return ModelProto.newBuilder().setIrVersion(7).setGraph(g)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).build();
  }

  @Test
  void onnxModels() throws Exception {
    Path file = tmp.resolve("m.onnx");
    byte[] valid = tinyOnnx(new long[] {2, 3}, 6).toByteArray();
    List<Fuzz.Variant> extra = new ArrayList<>();
    extra.add(new Fuzz.Variant("dims 1e6 x 1e6 over 24 bytes",
        tinyOnnx(new long[] {1_000_000, 1_000_000}, 6).toByteArray()));
    extra.add(new Fuzz.Variant("negative dim", tinyOnnx(new long[] {-2, -3}, 6).toByteArray()));
    extra.add(new Fuzz.Variant("dims overflow a long",
        tinyOnnx(new long[] {1L << 40, 1L << 40}, 6).toByteArray()));
    // field 7 (graph), length-delimited, declaring 4 GiB - 1 bytes
    extra.add(new Fuzz.Variant("graph length 4 GiB", new byte[] {0x08, 0x07, 0x3a,
        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x00}));
    // nested messages 100,000 deep
    byte[] deep = new byte[200_000];
    for (int i = 0; i < deep.length; i += 2) {
      deep[i] = 0x3a;
      deep[i + 1] = 0x7f;
    }
    extra.add(new Fuzz.Variant("nested 100,000 deep", deep));
    Fuzz.Outcome o = Fuzz.run(Fuzz.variants(valid, 3, 300, extra), file,
        InteropException.class, f -> OnnxModel.read(f).initializers());
    report("ONNX", o);
    eachRefused(extra, Map.of("dims 1e6 x 1e6 over 24 bytes", "invalid dims [1000000, 1000000]",
        "negative dim", "invalid dims [-2, -3]",
        "dims overflow a long", "invalid dims [1099511627776, 1099511627776]",
        "graph length 4 GiB", "not an ONNX model",
        "nested 100,000 deep", "not an ONNX model"), file, InteropException.class,
        f -> OnnxModel.read(f).initializers());
  }

  @Test
  void pytorchCsv() throws Exception {
    Path file = tmp.resolve("losses.csv");
    StringBuilder csv = new StringBuilder(PytorchResults.CSV_HEADER + "\n");
    for (String init : new String[] {"xavier", "novel"}) {
      for (int r = 0; r < 2; r++) {
        for (int e = 1; e <= 3; e++) {
          csv.append(init).append(",15,").append(r).append(',').append(e).append(',')
              .append(2.3 - 0.1 * e - 0.01 * r).append('\n');
        }
      }
    }
    byte[] valid = csv.toString().getBytes(StandardCharsets.UTF_8);
    List<Fuzz.Variant> extra = new ArrayList<>();
    for (String row : new String[] {"xavier,15,0,2000000000,2.0", "xavier,15,2000000000,1,2.0",
        "xavier,2000000000,0,1,2.0", "xavier,15,0,1,NaN", "xavier,15,0,1,1e999",
        "xavier,15,0,1", "svd,15,-1,1,2.0", "\u0000,\u0000,\u0000,\u0000,\u0000"}) {
      extra.add(new Fuzz.Variant("row " + row, (csv + row + "\n")
          .getBytes(StandardCharsets.UTF_8)));
    }
    extra.add(new Fuzz.Variant("one line of 10 MB", (PytorchResults.CSV_HEADER + "\n"
        + "x".repeat(10_000_000)).getBytes(StandardCharsets.UTF_8)));
    Fuzz.Outcome o = Fuzz.run(Fuzz.variants(valid, 4, 300, extra), file,
        InteropException.class, PytorchResults::readCsv);
    report("PyTorch CSV", o);
    eachRefused(extra, Map.ofEntries(
        Map.entry("row xavier,15,0,2000000000,2.0", "epochs are not 1..4"),
        Map.entry("row xavier,15,2000000000,1,2.0", "every repeat needs the same epochs"),
        Map.entry("row xavier,2000000000,0,1,2.0", "out of range"),
        Map.entry("row xavier,15,0,1,NaN", "out of range"),
        Map.entry("row xavier,15,0,1,1e999", "out of range"),
        Map.entry("row xavier,15,0,1", "expected 5 fields, got 4"),
        Map.entry("row svd,15,-1,1,2.0", "out of range"),
        Map.entry("row \u0000,\u0000,\u0000,\u0000,\u0000", "unknown init"),
        Map.entry("one line of 10 MB", "expected 5 fields, got 1")), file,
        InteropException.class, PytorchResults::readCsv);
  }

  @Test
  void runAndSettingsJson() throws Exception {
    Path src = Path.of(getClass().getResource("/figure7-fixture").toURI());
    Path run;
    try (var s = Files.list(src.resolve("runs"))) {
      run = s.filter(p -> p.toString().endsWith(".json")).sorted().findFirst().orElseThrow();
    }
    byte[] valid = Files.readAllBytes(run);
    List<Fuzz.Variant> extra = new ArrayList<>();
    extra.add(new Fuzz.Variant("nested 100,000 deep", "[".repeat(100_000)
        .getBytes(StandardCharsets.UTF_8)));
    extra.add(new Fuzz.Variant("a number of 1,000,000 digits", ("{\"epochs\": [{\"epoch\": 1, "
        + "\"loss\": 1" + "0".repeat(1_000_000) + "}]}").getBytes(StandardCharsets.UTF_8)));
    String text = new String(valid, StandardCharsets.UTF_8);
    extra.add(new Fuzz.Variant("spec null", text.replaceFirst("\"spec\" : \\{",
        "\"spec\" : null, \"x\" : {").getBytes(StandardCharsets.UTF_8)));
    extra.add(new Fuzz.Variant("status other", text.replace("\"status\" : \"ok\"",
        "\"status\" : \"maybe\"").getBytes(StandardCharsets.UTF_8)));
    extra.add(new Fuzz.Variant("a null loss", text.replaceFirst("\"loss\" : [0-9.]+",
        "\"loss\" : null").getBytes(StandardCharsets.UTF_8)));
    Path file = tmp.resolve("run.json");
    Fuzz.Outcome o = Fuzz.run(Fuzz.variants(valid, 5, 300, extra), file,
        ExperimentException.class, ResultStore::readRun);
    report("run JSON", o);
    eachRefused(extra, Map.of("nested 100,000 deep", "not a readable run result",
        "a number of 1,000,000 digits", "exceeds the maximum",
        "spec null", "not a complete run result (no name or spec)",
        "status other", "not a complete run result (status 'maybe')",
        "a null loss", "not a complete run result (epoch 1 has no finite loss)"), file, ExperimentException.class,
        ResultStore::readRun);

    Path folder = tmp.resolve("f7");
    Files.createDirectories(folder);
    byte[] settings = Files.readAllBytes(src.resolve(Figure7.SETTINGS_FILE));
    Fuzz.Outcome s = Fuzz.run(Fuzz.variants(settings, 6, 300, List.of()),
        folder.resolve(Figure7.SETTINGS_FILE), ExperimentException.class,
        f -> Figure7.settings(folder));
    report("figure7.json settings", s);
    // and the valid file still reads as it should
    Files.write(folder.resolve(Figure7.SETTINGS_FILE), settings);
    assertEquals(Figure7.settings(src), Figure7.settings(folder));
  }
}
