package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.orthoinit.TestTensors.fetch;
import static org.orthoinit.TestTensors.gaussian;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.orthoinit.Fixtures;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;

/**
 * The classifier's training form, (W^T x^T)^T + b, against the plain x W + b of evaluation: the
 * same logits and gradients, and no MatMul that takes a weight as its transposed right operand
 * (the slow dy W^T of the plain form's input gradient).
 */
class ClassifierTest {

  private static final int N = 30;

  @Test
  void trainingFormGivesTheSameLogitsAndGradientsAsThePlainOne() {
    // the seed's classifier (no dropout) on the flattened images: 3072 -> 4096 -> 4096 -> 10
    int in = Network.IMAGE_FLOATS;
    Network network = new Network("classifier", List.of(
        new Layer.Flatten("flatten", Network.INPUT_NAME),
        new Layer.Linear("classifier.1", "flatten", in, AlexNet.HIDDEN, true),
        new Layer.Relu("classifier.2", "classifier.1"),
        new Layer.Linear("classifier.4", "classifier.2", AlexNet.HIDDEN, AlexNet.HIDDEN, true),
        new Layer.Relu("classifier.5", "classifier.4"),
        new Layer.Linear("classifier.6", "classifier.5", AlexNet.HIDDEN, 10, true)));
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variables variables = Variables.declare(tf, network);
      NetworkGraph model = NetworkGraph.declare(tf, network, variables, 1);
      Random random = new Random(7);
      Operand<TFloat32> features = tf.constant(Shape.of(N, 32, 32, 3),
          DataBuffers.of(gaussian(random, N * in, 1.0)));
      Operand<TFloat32> weights = tf.constant(Shape.of(N, 10),
          DataBuffers.of(gaussian(random, N * 10, 1.0)));

      List<Operand<TFloat32>> wrt = new ArrayList<>();
      wrt.add(features);
      for (Layer.Linear l : network.linears()) {
        assign(s, variables, l.weight(), gaussian(random, l.in() * l.out(),
            Math.sqrt(2.0 / l.in())), Shape.of(l.in(), l.out()));
        assign(s, variables, l.biasName(), gaussian(random, l.out(), 0.1), Shape.of(l.out()));
        wrt.add(variables.get(l.weight()));
        wrt.add(variables.get(l.biasName()));
      }
      Set<String> before = opNames(g);
      List<Operand<TFloat32>> train = logitsAndGradients(tf.withSubScope("train"), model,
          features, weights, NetworkGraph.Mode.TRAIN, wrt);
      Set<String> trainOps = opNames(g);
      trainOps.removeAll(before);
      List<Operand<TFloat32>> eval = logitsAndGradients(tf.withSubScope("eval"), model,
          features, weights, NetworkGraph.Mode.EVAL, wrt);

      for (int i = 0; i < train.size(); i++) {
        float[] a = fetch(s, train.get(i));
        float[] b = fetch(s, eval.get(i));
        String what = i == 0 ? "logits" : "gradient " + (i - 1);
        double scale = 0;
        for (float v : b) {
          scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 1e-3, what + " is all zeros");
        double error = Fixtures.relativeError(a, b);
        assertTrue(error <= 1e-5, what + ": relative error " + error);
      }

      // the training form's gradients read every weight as stored: a MatMul that takes a weight
      // as its transposed right operand is the 4x slower form this replaces
      Set<String> weightOps = new HashSet<>();
      for (Layer.Linear l : network.linears()) {
        weightOps.add(variables.get(l.weight()).op().name());
      }
      int matmuls = 0;
      for (var it = g.operations(); it.hasNext(); ) {
        GraphOperation op = (GraphOperation) it.next();
        if (!trainOps.contains(op.name()) || !op.type().equals("MatMul")) {
          continue;
        }
        matmuls++;
        String right = op.input(1).op().name();
        assertFalse(op.attributes().getAttrBool("transpose_b") && weightOps.contains(right),
            op.name() + " reads " + right + " transposed");
      }
      assertEquals(9, matmuls, "3 linear layers: forward, input and weight gradients");
    }
  }

  /** Logits of the classifier on {@code features}, then the gradients of sum(logits * c). */
  private static List<Operand<TFloat32>> logitsAndGradients(Ops tf, NetworkGraph model,
      Operand<TFloat32> features, Operand<TFloat32> c, NetworkGraph.Mode mode,
      List<Operand<TFloat32>> wrt) {
    Operand<TFloat32> logits = model.walk(tf, features, mode, NetworkGraph::convolve).logits();
    Operand<TFloat32> loss = tf.math.mul(logits, c);
    Gradients grads = tf.gradients(tf.reduceSum(loss, tf.constant(new int[] {0, 1})), wrt);
    List<Operand<TFloat32>> out = new ArrayList<>();
    out.add(logits);
    for (int i = 0; i < wrt.size(); i++) {
      out.add(grads.<TFloat32>dy(i));
    }
    return out;
  }

  private static void assign(Session s, Variables variables, String name, float[] values,
      Shape shape) {
    try (TFloat32 t = TFloat32.tensorOf(shape, DataBuffers.of(values))) {
      s.runner().feed(variables.assignValue(name), t).addTarget(variables.assignOp(name)).run()
          .close();
    }
  }

  private static Set<String> opNames(Graph g) {
    Set<String> names = new HashSet<>();
    g.operations().forEachRemaining(op -> names.add(op.name()));
    return names;
  }
}
