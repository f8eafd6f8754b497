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
import org.tensorflow.op.core.Variable;
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
    ModelConfig config = new ModelConfig(0, ModelConfig.LEVEL_DEFAULT, false, 0f, 10);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      AlexNet model = AlexNet.declare(g, config, 1);
      Ops tf = model.tf();
      Random random = new Random(7);
      Operand<TFloat32> features = tf.constant(Shape.of(N, Architecture.FEATURES),
          DataBuffers.of(gaussian(random, N * Architecture.FEATURES, 1.0)));
      Operand<TFloat32> weights = tf.constant(Shape.of(N, config.classes()),
          DataBuffers.of(gaussian(random, N * config.classes(), 1.0)));

      List<Operand<TFloat32>> wrt = new ArrayList<>();
      wrt.add(features);
      for (Layer layer : model.architecture().classifier()) {
        if (layer instanceof Layer.Linear l) {
          assign(s, model, l.weight(), gaussian(random, l.in() * l.out(),
              Math.sqrt(2.0 / l.in())), Shape.of(l.in(), l.out()));
          assign(s, model, l.biasName(), gaussian(random, l.out(), 0.1), Shape.of(l.out()));
          wrt.add(model.variables().get(l.weight()));
          wrt.add(model.variables().get(l.biasName()));
        }
      }
      Set<String> before = opNames(g);
      List<Operand<TFloat32>> train = logitsAndGradients(tf.withSubScope("train"), model,
          features, weights, AlexNet.Mode.TRAIN, wrt);
      Set<String> trainOps = opNames(g);
      trainOps.removeAll(before);
      List<Operand<TFloat32>> eval = logitsAndGradients(tf.withSubScope("eval"), model,
          features, weights, AlexNet.Mode.EVAL, wrt);

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
      for (Layer layer : model.architecture().classifier()) {
        if (layer instanceof Layer.Linear l) {
          weightOps.add(model.variables().get(l.weight()).op().name());
        }
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
  private static List<Operand<TFloat32>> logitsAndGradients(Ops tf, AlexNet model,
      Operand<TFloat32> features, Operand<TFloat32> c, AlexNet.Mode mode,
      List<Operand<TFloat32>> wrt) {
    Operand<TFloat32> logits = model.classifier(tf, features, mode);
    Operand<TFloat32> loss = tf.math.mul(logits, c);
    Gradients grads = tf.gradients(tf.reduceSum(loss, tf.constant(new int[] {0, 1})), wrt);
    List<Operand<TFloat32>> out = new ArrayList<>();
    out.add(logits);
    for (int i = 0; i < wrt.size(); i++) {
      out.add(grads.<TFloat32>dy(i));
    }
    return out;
  }

  private static void assign(Session s, AlexNet model, String name, float[] values, Shape shape) {
    try (TFloat32 t = TFloat32.tensorOf(shape, DataBuffers.of(values))) {
      s.runner().feed(model.assignValue(name), t).addTarget(model.assignOp(name)).run().close();
    }
  }

  private static Set<String> opNames(Graph g) {
    Set<String> names = new HashSet<>();
    g.operations().forEachRemaining(op -> names.add(op.name()));
    return names;
  }
}
