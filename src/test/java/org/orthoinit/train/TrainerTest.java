package org.orthoinit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.orthoinit.TestImages;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.Xavier;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;

class TrainerTest {


  @Test
  void sgdStepsLowerTheLossOfTheirBatch() {
    float[] x = TestImages.uniform(8, 1);
    int[] y = {0, 1, 2, 3, 4, 5, 6, 7};
    try (ModelSession s = ModelSession.open(ModelConfig.of(0).withDropout(0f), 1, 0)) {
      Xavier.initialize(s, 1);
      Trainer t = new Trainer(s, new TrainConfig(1, 0.05f, 8, 1));
      double first = t.step(x, y, 8);
      for (int i = 0; i < 5; i++) {
        t.step(x, y, 8);
      }
      double after = t.loss(x, y, 8);
      assertTrue(after < first - 0.1, first + " -> " + after);
      // without dropout, loss() is deterministic and equals the loss the next step sees
      assertEquals(after, t.step(x, y, 8), 1e-6);
    }
  }

  @Test
  void epochLossIsTheExactMeanOverSamplesIncludingThePartialBatch() {
    Cifar10Data data = TestImages.randomData(7, 2);
    List<Double> losses = new ArrayList<>();
    try (ModelSession s = ModelSession.open(ModelConfig.of(0).withDropout(0f), 1, 0)) {
      Xavier.initialize(s, 1);
      Trainer t = new Trainer(s, new TrainConfig(1, 0.001f, 3, 4));
      EpochResult r = t.epoch(data, 1, new TrainListener() {
        @Override
        public void stepDone(int epoch, int step, double loss) {
          losses.add(loss);
        }
      });
      assertEquals(3, losses.size()); // 3 + 3 + 1
      assertEquals((3 * losses.get(0) + 3 * losses.get(1) + losses.get(2)) / 7, r.loss(), 1e-12);
    }
  }

  @Test
  void shufflesArePermutationsThatChangeEveryEpochAndRepeatWithTheSeed() {
    int[] a = Trainer.shuffle(100, 5, 1);
    int[] sorted = a.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 100; i++) {
      assertEquals(i, sorted[i]);
    }
    assertFalse(Arrays.equals(a, Trainer.shuffle(100, 5, 2)));
    assertArrayEquals(a, Trainer.shuffle(100, 5, 1));
  }

  @Test
  void anExplodingLossStopsTheRunAsDiverged() {
    Cifar10Data data = TestImages.randomData(60, 3);
    try (ModelSession s = ModelSession.open(ModelConfig.of(0), 1, 0)) {
      Xavier.initialize(s, 1);
      Trainer t = new Trainer(s, new TrainConfig(3, 1e6f, 30, 1));
      Trainer.Outcome o = t.train(data, TrainListener.NONE);
      assertTrue(o.diverged());
      assertTrue(o.epochs().size() < 3 || Double.isNaN(o.epochs().get(2).loss()));
      assertTrue(Double.isNaN(o.epochs().get(o.epochs().size() - 1).loss()));
    }
  }

  @Test
  void aNonFiniteWeightThatTheLossDoesNotShowStopsTheRunAsDiverged() {
    // a NaN in the first kernel: TensorFlow's max pool and ReLU turn the channel's NaN into 0, so
    // every loss stays finite (PyTorch's would be NaN); the epoch ends in the weight check
    Cifar10Data data = TestImages.randomData(30, 3);
    try (ModelSession s = ModelSession.open(ModelConfig.of(0).withDropout(0f), 1, 0)) {
      java.util.Map<String, float[]> w = Xavier.values(s.network(), 1);
      w.get("features.0.weight")[5] = Float.NaN;
      s.assign(w);
      Trainer t = new Trainer(s, new TrainConfig(2, 0.001f, 10, 1));
      List<Double> losses = new ArrayList<>();
      Trainer.Outcome o = t.train(data, new TrainListener() {
        @Override
        public void stepDone(int epoch, int step, double loss) {
          losses.add(loss);
        }
      });
      assertEquals(3, losses.size(), "the first epoch ran to its end");
      assertTrue(losses.stream().allMatch(Double::isFinite), losses.toString());
      assertFalse(t.weightsFinite());
      assertTrue(o.diverged());
      assertEquals(1, o.epochs().size());
      assertTrue(Double.isNaN(o.epochs().get(0).loss()));
    }
  }
}
