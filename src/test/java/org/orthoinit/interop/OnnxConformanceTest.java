package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.orthoinit.Fixtures;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.TensorProto;
import org.orthoinit.interop.onnx.ValueInfoProto;
import org.orthoinit.model.Compute;
import org.orthoinit.model.Dims;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;

/**
 * The importer against ONNX's own backend tests (Debian's libonnx-testdata: ONNX 1.12's
 * model.onnx and test_data_set_N/input_K.pb, output_K.pb under node/, pytorch-converted/,
 * pytorch-operator/ and simple/). Every test directory whose ops are all ones the importer
 * claims is imported with its non-data inputs given as weights, evaluated, and checked as ONNX's
 * runner checks: same dtype and shape, |out - ref| <= 1e-7 + 1e-3 |ref|. A directory the
 * importer refuses (a tensor of rank 1 or 5, a second output, an attribute it does not read) is
 * skipped with the refusal as the reason; one it reads must pass. The table per op is printed.
 */
class OnnxConformanceTest {

  static final String PROPERTY = "orthoinit.onnxtests";
  private static final List<String> SUITES = List.of("node", "pytorch-converted",
      "pytorch-operator", "simple");
  private static final double RTOL = 1e-3;
  private static final double ATOL = 1e-7;

  /** One test directory's result: passed, failed or skipped, and why when not passed. */
  record Outcome(String test, String status, String why) {}

  @Test
  void everyTestOfEveryClaimedOpPassesOrIsRefused() throws Exception {
    Path root = Fixtures.folder(PROPERTY, "node/test_relu/model.onnx",
        "ONNX's backend test data", "install Debian's libonnx-testdata (/usr/include/onnx/"
        + "backend/test/data) and ");
    Set<String> claimed = new TreeSet<>(OnnxImport.supportedOps());
    Map<String, List<Outcome>> byOp = new TreeMap<>();
    claimed.forEach(op -> byOp.put(op, new ArrayList<>()));
    List<Outcome> failed = new ArrayList<>();
    List<Outcome> all = new ArrayList<>();
    for (String suite : SUITES) {
      List<Path> dirs;
      try (Stream<Path> s = Files.list(root.resolve(suite))) {
        dirs = s.filter(Files::isDirectory).sorted().toList();
      }
      for (Path dir : dirs) {
        ModelProto proto;
        try (InputStream in = Files.newInputStream(dir.resolve("model.onnx"))) {
          proto = ModelProto.parseFrom(in);
        }
        Set<String> ops = new TreeSet<>();
        boolean ours = proto.getGraph().getNodeCount() > 0;
        for (NodeProto n : proto.getGraph().getNodeList()) {
          ours &= (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"))
              && claimed.contains(n.getOpType());
          ops.add(n.getOpType());
        }
        if (!ours) {
          continue;
        }
        Outcome o = run(suite + "/" + dir.getFileName(), dir, proto);
        ops.forEach(op -> byOp.get(op).add(o));
        all.add(o);
        if (o.status().equals("failed")) {
          failed.add(o);
        }
      }
    }
    String table = table(byOp) + String.format("%n%d directories: %d passed, %d failed, %d "
        + "skipped%n", all.size(), count(all, "passed"), count(all, "failed"),
        count(all, "skipped"));
    System.out.println(table);
    Set<String> passedBefore = passed(TABLE);
    List<String> lost = new ArrayList<>();
    for (Outcome o : all) {
      if (passedBefore.remove(o.test()) && !o.status().equals("passed")) {
        lost.add(o.test() + " (" + o.status() + ": " + o.why() + ")");
      }
    }
    passedBefore.forEach(t -> lost.add(t + " (no longer read)"));
    // the committed table is replaced only by a run that keeps all it holds: a failing run
    // writes beside the build, so that running the test again still fails
    Path written = failed.isEmpty() && lost.isEmpty() ? TABLE
        : Path.of("target", "onnx-conformance.md");
    Files.createDirectories(written.toAbsolutePath().getParent());
    Files.writeString(written, document(table, all));
    assertTrue(failed.isEmpty(), "ONNX backend tests read but not passed: " + failed);
    assertTrue(lost.isEmpty(), "directories that passed in " + TABLE + " do not "
        + "pass now (this run's table: target/onnx-conformance.md): " + lost);
  }

  /** The committed record of what passes: the test fails when a directory it lists drops out. */
  static final Path TABLE = Path.of("docs", "onnx-conformance.md");

  /** The directories a table written by {@link #document} lists as passed. */
  static Set<String> passed(Path table) throws IOException {
    Set<String> passed = new TreeSet<>();
    if (Files.exists(table)) {
      for (String line : Files.readAllLines(table)) {
        String[] cells = line.split("\\|");
        // the per-directory rows: | `suite/test_x` | passed | |
        if (cells.length >= 3 && cells[1].trim().startsWith("`")
            && cells[2].trim().equals("passed")) {
          passed.add(cells[1].trim().replace("`", ""));
        }
      }
    }
    return passed;
  }

  private static String document(String table, List<Outcome> all) {
    StringBuilder b = new StringBuilder("# The importer against ONNX's own backend tests\n\n"
        + "Written by `OnnxConformanceTest` (do not edit): every directory of ONNX 1.12's "
        + "backend tests (Debian's libonnx-testdata) under `node/`, `pytorch-converted/`, "
        + "`pytorch-operator/` and `simple/` whose ops the importer claims, imported with its "
        + "first input as the data and the others as weights, evaluated, and checked as ONNX's "
        + "runner checks (same dtype and shape, |out - ref| <= 1e-7 + 1e-3 |ref|). A directory "
        + "the importer refuses is skipped, with the refusal as the reason. The test fails when "
        + "a directory listed here as passed no longer passes. A directory counts once per op "
        + "it holds in the first table.\n\n");
    b.append(table).append("\n## Every directory\n\n| directory | status | reason |\n"
        + "|---|---|---|\n");
    for (Outcome o : all) {
      b.append("| `").append(o.test()).append("` | ").append(o.status()).append(" | ")
          .append(reason(o.why())).append(" |\n");
    }
    return b.toString();
  }

  /** Imports and runs every data set of one test directory. */
  private static Outcome run(String test, Path dir, ModelProto proto) throws IOException {
    List<Path> sets;
    try (Stream<Path> s = Files.list(dir)) {
      sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted()
          .toList();
    }
    if (sets.isEmpty()) {
      return new Outcome(test, "skipped", "no test data");
    }
    Set<String> initialized = new TreeSet<>();
    proto.getGraph().getInitializerList().forEach(t -> initialized.add(t.getName()));
    List<String> inputs = new ArrayList<>();
    for (ValueInfoProto v : proto.getGraph().getInputList()) {
      if (!initialized.contains(v.getName())) {
        inputs.add(v.getName());
      }
    }
    if (inputs.isEmpty()) {
      return new Outcome(test, "skipped", "no data input (a graph of constants)");
    }
    for (Path set : sets) {
      List<TensorProto> given = new ArrayList<>();
      for (int k = 0; k < inputs.size(); k++) {
        given.add(tensor(set.resolve("input_" + k + ".pb")));
      }
      Map<String, TensorProto> weights = new LinkedHashMap<>();
      for (int k = 1; k < inputs.size(); k++) {
        weights.put(inputs.get(k), given.get(k));
      }
      OnnxModel model = OnnxModel.of(dir.resolve("model.onnx"), proto);
      OnnxImport.Imported imported;
      try {
        imported = OnnxImport.read(model, new OnnxImport.Options(false, weights));
      } catch (InteropException e) {
        String why = e.getMessage();
        return new Outcome(test, "skipped", why.substring(why.indexOf(": ") + 2));
      }
      TensorProto expected = tensor(set.resolve("output_0.pb"));
      String problem = compare(imported, given.get(0), expected);
      if (problem != null) {
        return new Outcome(test, "failed", set.getFileName() + ": " + problem);
      }
    }
    return new Outcome(test, "passed", "");
  }

  /** Null when our output for {@code x} is the expected one, else what differs. */
  private static String compare(OnnxImport.Imported imported, TensorProto x, TensorProto expected)
      throws IOException {
    if (expected.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      return "expected an output of type " + TensorProto.DataType.forNumber(
          expected.getDataType()) + ", ours is FLOAT";
    }
    Network network = imported.network();
    Dims in = network.input();
    int n = Math.toIntExact(x.getDims(0));
    float[] data = floats(x);
    float[] nhwc = in.flat() ? data
        : Layouts.nchwToNhwc(data, n, in.channels(), in.height() * in.width());
    float[] ours;
    try (ModelSession s = ModelSession.open(network, 0, 1, Compute.CPU)) {
      s.assign(imported.weights());
      ours = s.evaluate(nhwc, n);
    }
    Dims out = network.outputDims();
    long[] shape = out.flat() ? new long[] {n, out.channels()}
        : imported.oneD() ? new long[] {n, out.channels(), out.width()}
        : new long[] {n, out.channels(), out.height(), out.width()};
    long[] want = expected.getDimsList().stream().mapToLong(Long::longValue).toArray();
    if (!Arrays.equals(shape, want)) {
      return "shape " + Arrays.toString(shape) + ", expected " + Arrays.toString(want);
    }
    float[] nchw = out.flat() ? ours
        : Layouts.nhwcToNchw(ours, n, out.channels(), out.height() * out.width());
    float[] ref = floats(expected);
    for (int i = 0; i < ref.length; i++) {
      boolean same = Float.compare(nchw[i], ref[i]) == 0
          || Math.abs(nchw[i] - (double) ref[i]) <= ATOL + RTOL * Math.abs(ref[i]);
      if (!same) {
        return "value #" + i + " is " + nchw[i] + ", expected " + ref[i];
      }
    }
    return null;
  }

  private static long count(List<Outcome> outcomes, String status) {
    return outcomes.stream().filter(o -> o.status().equals(status)).count();
  }

  private static TensorProto tensor(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return TensorProto.parseFrom(in);
    }
  }

  private static float[] floats(TensorProto t) throws IOException {
    try {
      return OnnxModel.of(Path.of("test"), ModelProto.getDefaultInstance()).decodeFloat(t)
          .values();
    } catch (InteropException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Per op: directories passed, failed, skipped, and the reasons for skipping. */
  private static String table(Map<String, List<Outcome>> byOp) {
    StringBuilder b = new StringBuilder("| op | passed | failed | skipped | skipped because |\n"
        + "|---|---|---|---|---|\n");
    for (Map.Entry<String, List<Outcome>> e : byOp.entrySet()) {
      long passed = e.getValue().stream().filter(o -> o.status().equals("passed")).count();
      long failed = e.getValue().stream().filter(o -> o.status().equals("failed")).count();
      Map<String, List<String>> reasons = new TreeMap<>();
      for (Outcome o : e.getValue()) {
        if (o.status().equals("skipped")) {
          reasons.computeIfAbsent(reason(o.why()), k -> new ArrayList<>())
              .add(o.test().substring(o.test().indexOf('/') + 1));
        }
      }
      List<String> why = new ArrayList<>();
      reasons.forEach((r, tests) -> why.add(r + " (" + String.join(", ", tests) + ")"));
      b.append("| ").append(e.getKey()).append(" | ").append(passed).append(" | ").append(failed)
          .append(" | ").append(e.getValue().size() - passed - failed).append(" | ")
          .append(String.join("; ", why)).append(" |\n");
    }
    return b.toString();
  }

  /** A refusal without its node's name, so that equal reasons group. */
  private static String reason(String why) {
    String r = why.replaceFirst("^node '[^']*' \\(([A-Za-z]+), opset \\d+\\): ", "$1: ");
    return r.replace("|", "/");
  }
}
