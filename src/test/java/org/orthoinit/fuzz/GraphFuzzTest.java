package org.orthoinit.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.orthoinit.TestNetworks;
import org.orthoinit.interop.InteropException;
import org.orthoinit.interop.OnnxExport;
import org.orthoinit.interop.OnnxImport;
import org.orthoinit.interop.OnnxModel;
import org.orthoinit.interop.onnx.AttributeProto;
import org.orthoinit.interop.onnx.GraphProto;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.TensorProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.Network;

/**
 * The ONNX importer on well-formed protobufs that are bad graphs: nodes rewired to missing or
 * later tensors (dangling inputs, cycles), wrong ops, attributes and dims set to odd values,
 * nodes dropped or swapped. Each must read or be refused with an InteropException naming the
 * file; nothing else may escape.
 */
class GraphFuzzTest {

  private static final List<String> OPS = List.of("Conv", "MaxPool", "AveragePool", "Relu",
      "Gemm", "Flatten", "Add", "Concat", "BatchNormalization", "Reshape", "Shape", "Gather",
      "Identity", "Constant", "Dropout", "Clip", "GlobalAveragePool", "Loop", "Softmax",
      "HardSwish", "HardSigmoid", "Sigmoid", "Mul", "Sub", "Div", "ReduceMean", "Slice", "Split",
      "Transpose", "Cast");
  private static final long[] ODD = {-1, 0, 1, 2, 3, 7, 1L << 31, Long.MAX_VALUE,
      Long.MIN_VALUE};

  /**
   * The zoo of the older layer kinds, a squeeze-excitation block with SiLU, ShuffleNet's
   * channel split and shuffle, and ConvNeXt's channels-last block.
   */
  static List<Network> networks() {
    return List.of(TestNetworks.zoo(), TestNetworks.squeezeExcitation(),
        TestNetworks.shuffleUnit(), TestNetworks.convnextBlock());
  }

  /** The kinds of fault that every network's export can be given. */
  private static final java.util.Set<String> ANYWHERE = java.util.Set.of("dangling input",
      "cycle", "unknown op", "shape mismatch", "huge declared dims", "dtype mismatch");

  /** The kinds made only where a network has the nodes they change. */
  private static final Map<String, java.util.Set<String>> OWN = Map.of(
      "zoo", java.util.Set.of("a mean over other axes", "shapes that do not broadcast"),
      "se", java.util.Set.of("a mean over other axes", "shapes that do not broadcast"),
      "shuffle", java.util.Set.of("a reshape that is not a shuffle's",
          "a transpose that is not a shuffle's", "channels that are not there"),
      "convnext", java.util.Set.of("a transpose that is not channels last",
          "a layer norm that is not one", "a mean over other axes",
          "shapes that do not broadcast"));

  @ParameterizedTest
  @MethodSource("networks")
  void badGraphsAreRefusedWithOneMessage(Network zoo) {
    ModelProto valid = OnnxExport.model(zoo, TestNetworks.randomWeights(zoo, 1));
    Random r = new Random(17);
    Path file = Path.of("fuzzed.onnx");
    int tried = 0;
    int refused = 0;
    for (int i = 0; i < 400; i++) {
      ModelProto m = mutate(valid, r, 1 + r.nextInt(3));
      tried++;
      try {
        OnnxImport.read(OnnxModel.of(file, m));
      } catch (InteropException e) {
        refused++;
        assertTrue(e.getMessage().startsWith("fuzzed.onnx: ")
            && !e.getMessage().contains("\n"), e.getMessage());
      } catch (RuntimeException e) {
        fail("variant " + i + " escaped as " + e, e);
      }
    }
    System.out.printf("fuzz %-22s %5d inputs, %5d refused, %5d read%n", zoo.name(), tried,
        refused, tried - refused);
    assertTrue(refused > tried / 2, refused + " of " + tried);
  }

  /** What the refusal of each kind of hostile graph must say (a regular expression). */
  private static final Map<String, String> FAULTS = Map.ofEntries(Map.entry(
      "dangling input", "reads 'nowhere', which no earlier node gives"),
      Map.entry("cycle", "reads '[^']+', which no earlier node gives"),
      Map.entry("unknown op", "\\(NoSuchOp, opset \\d+\\): this op is not supported"
          + "|operators of domain 'com.example' are not supported"),
      Map.entry("shape mismatch", "raw_data has \\d+ bytes, dims \\[[0-9, ]+\\] need \\d+"
          + "|int64_data has \\d+ values for \\d+"),
      Map.entry("huge declared dims", "invalid dims \\[[0-9, ]*1099511627776"
          + "|has shape \\[-1, \\d+|an int64 tensor of dims \\[1099511627776\\] is too large"),
      Map.entry("dtype mismatch", "is of type (DOUBLE|INT64), expected (FLOAT|INT64)"
          + "|reads '[^']+', a tensor of type DOUBLE \\(not supported\\)"),
      Map.entry("shapes that do not broadcast", "(Add|Sub|Mul|Div) of \\d+x\\d+x\\d+ and "
          + "\\d+x\\d+x\\d+: the shapes do not broadcast"),
      Map.entry("a mean over other axes", "\\(ReduceMean, opset \\d+\\): only a mean over the "
          + "spatial axes of an image is supported, got axes \\["),
      Map.entry("a reshape that is not a shuffle's", "is not the \\[N, groups, C / groups, H, W\\]"
          + " of a channel shuffle|only a channel shuffle is read from a 5-D view"),
      Map.entry("a transpose that is not a shuffle's", "only the Transpose \\[0, 2, 1, 3, 4\\] of a"
          + " channel shuffle is read from its 5-D view, got perm"),
      Map.entry("a transpose that is not channels last", "transposing a layer's output is not "
          + "supported|only the Transpose \\[0, 3, 1, 2\\] back to channels first|only the "
          + "transpose of a constant matrix|where this op reads channels first|only a mean over "
          + "the spatial axes|only a product of"),
      Map.entry("a layer norm that is not one", "a mean over the channels is read only as the "
          + "first step of a layer norm"),
      Map.entry("channels that are not there", "channels \\[-?\\d+, -?\\d+\\) of \\d+ are none"
          + "|only a Slice of channels \\(axis 1, step 1\\) of a layer's output is supported"));

  /**
   * Each kind of hostile graph, made at every place it can be made in the zoo's export: every
   * case is refused in one line naming the file (and the node, where one is at fault) and the
   * fault.
   */
  @ParameterizedTest
  @MethodSource("networks")
  void eachKindOfHostileGraphIsRefused(Network zoo) {
    ModelProto valid = OnnxExport.model(zoo, TestNetworks.randomWeights(zoo, 1));
    GraphProto g = valid.getGraph();
    Map<String, List<ModelProto>> cases = new LinkedHashMap<>();
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      int at = i;
      if (n.getInputCount() > 0) {
        cases.computeIfAbsent("dangling input", k -> new ArrayList<>()).add(withNode(valid, at,
            n.toBuilder().setInput(0, "nowhere").build()));
        for (int j = i; j < g.getNodeCount(); j++) {
          // reading its own or a later node's output: a cycle, or a graph out of order
          cases.computeIfAbsent("cycle", k -> new ArrayList<>()).add(withNode(valid, at,
              n.toBuilder().setInput(0, g.getNode(j).getOutput(0)).build()));
        }
      }
      cases.computeIfAbsent("unknown op", k -> new ArrayList<>()).add(withNode(valid, at,
          n.toBuilder().setOpType("NoSuchOp").build()));
      cases.computeIfAbsent("unknown op", k -> new ArrayList<>()).add(withNode(valid, at,
          n.toBuilder().setDomain("com.example").build()));
    }
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      int at = i;
      boolean twoLayers = n.getInputCount() == 2 && List.of("Add", "Sub", "Mul", "Div")
          .contains(n.getOpType()) && zoo.layers().stream().anyMatch(l -> l.name().equals(
              n.getInput(1))) && zoo.layers().stream().anyMatch(l -> l.name().equals(
              n.getInput(0)));
      if (twoLayers) {
        // its second input from the first layer whose output does not broadcast to its first
        Dims first = zoo.dims(n.getInput(0));
        zoo.layers().stream().map(Layer::name).filter(l -> !broadcasts(first, zoo.dims(l)))
            .findFirst().ifPresent(other -> cases.computeIfAbsent(
                "shapes that do not broadcast", k -> new ArrayList<>())
                .add(withNode(valid, at, n.toBuilder().setInput(1, other).build())));
      }
      if (n.getOpType().equals("GlobalAveragePool")) {
        for (long[] axes : new long[][] {{1}, {0, 2, 3}, {2}, {2, 9}, {-7}}) {
          AttributeProto.Builder a = AttributeProto.newBuilder().setName("axes")
              .setType(AttributeProto.AttributeType.INTS);
          for (long x : axes) {
            a.addInts(x);
          }
          cases.computeIfAbsent("a mean over other axes", k -> new ArrayList<>()).add(
              withNode(valid, at, n.toBuilder().setOpType("ReduceMean").addAttribute(a).build()));
        }
      }
    }
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      int at = i;
      boolean channels = zoo.name().equals("convnext");
      if (n.getOpType().equals("Transpose")) {
        long[][] perms = channels ? new long[][] {{0, 1, 3, 2}, {0, 3, 1, 2, 4}, {3, 2, 1, 0},
            {0, 3, 2, 1}} : new long[][] {{0, 2, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 2, 1, 3},
            {4, 3, 2, 1, 0}};
        for (long[] perm : perms) {
          AttributeProto.Builder a = AttributeProto.newBuilder().setName("perm")
              .setType(AttributeProto.AttributeType.INTS);
          for (long x : perm) {
            a.addInts(x);
          }
          cases.computeIfAbsent(channels ? "a transpose that is not channels last"
              : "a transpose that is not a shuffle's", k -> new ArrayList<>())
              .add(withNode(valid, at, n.toBuilder().clearAttribute().addAttribute(a).build()));
        }
      }
      if (channels && n.getOpType().equals("Sub")) {
        // (mean - x) for (x - mean), and a second reader of the centred values
        cases.computeIfAbsent("a layer norm that is not one", k -> new ArrayList<>()).add(
            withNode(valid, at, n.toBuilder().setInput(0, n.getInput(1))
                .setInput(1, n.getInput(0)).build()));
      }
      if (channels && n.getOpType().equals("Sqrt")) {
        cases.computeIfAbsent("a layer norm that is not one", k -> new ArrayList<>()).add(
            withNode(valid, at, n.toBuilder().setOpType("Relu").build()));
      }
      if (channels && n.getOpType().equals("Pow")) {
        cases.computeIfAbsent("a layer norm that is not one", k -> new ArrayList<>()).add(
            withNode(valid, at, n.toBuilder().setInput(1, n.getInput(0)).build()));
      }
    }
    for (int w = 0; w < g.getInitializerCount(); w++) {
      TensorProto t = g.getInitializer(w);
      if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
        // a shuffle's target shapes; a slice's starts, ends and axes, each set where it takes
        // no channel at all, or along another axis
        String kind = t.getName().endsWith(".shape") ? "a reshape that is not a shuffle's"
            : "channels that are not there";
        long[] odds = t.getName().endsWith(".shape") ? new long[] {3, 9, 2000, -50}
            : t.getName().endsWith(".starts") ? new long[] {2000}
            : t.getName().endsWith(".ends") ? new long[] {0, -2000} : new long[] {0, 2, 3, 9};
        for (int v = 0; v < t.getInt64DataCount(); v++) {
          for (long odd : odds) {
            if (odd != t.getInt64Data(v)) {
              cases.computeIfAbsent(kind, k -> new ArrayList<>()).add(withInitializer(valid, w,
                  t.toBuilder().setInt64Data(v, odd).build()));
            }
          }
        }
      }
      for (int d = 0; d < t.getDimsCount(); d++) {
        cases.computeIfAbsent("shape mismatch", k -> new ArrayList<>()).add(withInitializer(
            valid, w, t.toBuilder().setDims(d, t.getDims(d) + 1).build()));
        cases.computeIfAbsent("huge declared dims", k -> new ArrayList<>()).add(
            withInitializer(valid, w, t.toBuilder().setDims(d, 1L << 40).build()));
      }
      cases.computeIfAbsent("dtype mismatch", k -> new ArrayList<>()).add(withInitializer(
          valid, w, t.toBuilder().setDataType(TensorProto.DataType.DOUBLE_VALUE).build()));
    }
    for (int d = 1; d < 4; d++) { // the batch (dim 0) is any size
      for (long huge : new long[] {1L << 21, 1L << 40, Long.MAX_VALUE}) {
        cases.computeIfAbsent("huge declared dims", k -> new ArrayList<>()).add(
            withInputDim(valid, d, huge));
      }
    }
    ModelProto.Builder int64 = valid.toBuilder();
    int64.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder()
        .setElemType(TensorProto.DataType.INT64_VALUE);
    cases.computeIfAbsent("dtype mismatch", k -> new ArrayList<>()).add(int64.build());
    // every kind of fault the network's nodes allow is made at least once
    java.util.Set<String> kinds = new java.util.TreeSet<>(ANYWHERE);
    kinds.addAll(OWN.get(zoo.name()));
    assertEquals(kinds, new java.util.TreeSet<>(cases.keySet()), zoo.name());
    Path file = Path.of("hostile.onnx");
    StringBuilder counts = new StringBuilder();
    for (Map.Entry<String, List<ModelProto>> e : cases.entrySet()) {
      int refused = 0;
      for (ModelProto m : e.getValue()) {
        for (OnnxImport.Options o : List.of(OnnxImport.Options.CLASSIFIER,
            new OnnxImport.Options(false, Map.of()))) {
          InteropException x = assertThrows(InteropException.class,
              () -> OnnxImport.read(OnnxModel.of(file, m), o), e.getKey());
          assertTrue(x.getMessage().startsWith("hostile.onnx: ")
              && !x.getMessage().contains("\n"), x.getMessage());
          if (System.getProperty("orthoinit.fuzz.print") != null) {
            System.out.println("REFUSAL " + e.getKey() + " -> " + x.getMessage());
          }
          String fault = FAULTS.get(e.getKey());
          assertTrue(x.getMessage().matches("(?s).*(" + fault + ").*"), e.getKey()
              + ": the refusal does not say (" + fault + "): " + x.getMessage());
        }
        refused++;
      }
      counts.append(String.format("%s %d/%d refused; ", e.getKey(), refused,
          e.getValue().size()));
    }
    System.out.println("hostile ONNX graphs of " + zoo.name() + ": " + counts);
  }

  /** Whether two outputs combine element by element (the answer the model's own rule gives). */
  private static boolean broadcasts(Dims a, Dims b) {
    try {
      Network.infer(new Layer.Elementwise("x", "a", "b", Layer.Arithmetic.Op.MUL),
          List.of(a, b));
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static ModelProto withNode(ModelProto m, int i, NodeProto n) {
    return m.toBuilder().setGraph(m.getGraph().toBuilder().setNode(i, n)).build();
  }

  private static ModelProto withInitializer(ModelProto m, int i, TensorProto t) {
    return m.toBuilder().setGraph(m.getGraph().toBuilder().setInitializer(i, t)).build();
  }

  private static ModelProto withInputDim(ModelProto m, int d, long size) {
    ModelProto.Builder b = m.toBuilder();
    b.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder()
        .getShapeBuilder().getDimBuilder(d).clearDimParam().setDimValue(size);
    return b.build();
  }

  private static ModelProto mutate(ModelProto valid, Random r, int times) {
    GraphProto.Builder g = valid.getGraph().toBuilder();
    for (int t = 0; t < times; t++) {
      int count = g.getNodeCount();
      if (count == 0) {
        break;
      }
      int i = r.nextInt(count);
      NodeProto.Builder n = g.getNode(i).toBuilder();
      switch (r.nextInt(7)) {
        case 0 -> n.setOpType(OPS.get(r.nextInt(OPS.size())));
        case 1 -> {
          if (n.getInputCount() > 0) {
            // another node's output (earlier, later: a cycle), or nothing that exists
            NodeProto other = g.getNode(r.nextInt(count));
            String name = r.nextBoolean() && other.getOutputCount() > 0 ? other.getOutput(0)
                : "ghost";
            n.setInput(r.nextInt(n.getInputCount()), name);
          }
        }
        case 2 -> {
          if (n.getInputCount() > 0) {
            var inputs = new java.util.ArrayList<>(n.getInputList());
            inputs.remove(r.nextInt(inputs.size()));
            n.clearInput().addAllInput(inputs);
          }
        }
        case 3 -> {
          if (n.getAttributeCount() > 0) {
            int a = r.nextInt(n.getAttributeCount());
            AttributeProto.Builder at = n.getAttribute(a).toBuilder();
            long odd = ODD[r.nextInt(ODD.length)];
            if (at.getIntsCount() > 0) {
              at.setInts(r.nextInt(at.getIntsCount()), odd);
            } else {
              at.setI(odd).setF(odd);
            }
            n.setAttribute(a, at);
          }
        }
        case 4 -> {
          int w = r.nextInt(g.getInitializerCount());
          TensorProto.Builder init = g.getInitializer(w).toBuilder();
          if (init.getDimsCount() > 0) {
            init.setDims(r.nextInt(init.getDimsCount()), ODD[r.nextInt(ODD.length)]);
          }
          g.setInitializer(w, init);
        }
        case 5 -> {
          g.removeNode(i);
          continue;
        }
        default -> {
          int j = r.nextInt(count);
          NodeProto other = g.getNode(j);
          g.setNode(j, n.build());
          g.setNode(i, other);
          continue;
        }
      }
      g.setNode(i, n);
    }
    return valid.toBuilder().setGraph(g).build();
  }
}
