package org.orthoinit.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.orthoinit.TestImages;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSource;
import org.orthoinit.train.TrainConfig;

/** --init-pool: the init batch from the run's images, or from every training image. */
class InitPoolTest {

  private static RunSpec spec(InitPool pool) {
    return new RunSpec(new ModelSource.Seed(ModelConfig.of(0)), new TrainConfig(1, 0.001f, 30,
        7), Initializers.SVD, 10, 50, 0, pool);
  }

  /** The images of a batch, one string per image (its pixels), to compare as sets. */
  private static Set<String> images(float[] nhwc, int n) {
    Set<String> out = new HashSet<>();
    int size = nhwc.length / n;
    for (int i = 0; i < n; i++) {
      out.add(java.util.Arrays.toString(java.util.Arrays.copyOfRange(nhwc, i * size,
          (i + 1) * size)));
    }
    return out;
  }

  @Test
  void allDrawsFromEveryTrainingImageRunFromTheRunsOwn() {
    Cifar10Data all = TestImages.randomData(100, 3);
    Cifar10Data first = all.first(10);
    Set<String> trained = images(TrainingRun.initBatch(first, 10, 0), 10);
    // the run's own pool holds 10 images: a batch of 50 asked for gets those 10
    Initializer.Context run = TrainingRun.context(spec(InitPool.RUN), first, false);
    assertEquals(10, run.n());
    assertEquals(trained, images(run.images(), run.n()));
    // every training image: 50 distinct ones, most of them never trained on
    Initializer.Context pool = TrainingRun.context(spec(InitPool.ALL), first, false);
    assertEquals(50, pool.n());
    Set<String> drawn = images(pool.images(), pool.n());
    assertEquals(50, drawn.size());
    drawn.removeAll(trained);
    assertTrue(drawn.size() >= 40, drawn.size() + " of 50 outside the run's images");
    assertEquals(all, first.pool());
    assertEquals(all, all.first(50).first(10).pool());
  }

  @Test
  void runIsWhatFilesOfEarlierVersionsMeanAndIsNotWritten() throws Exception {
    String run = ResultStore.JSON.writeValueAsString(spec(InitPool.RUN));
    assertFalse(run.contains("initPool"), run);
    assertEquals(spec(InitPool.RUN), ResultStore.JSON.readValue(run, RunSpec.class));
    assertEquals(spec(InitPool.RUN), spec(null));
    String all = ResultStore.JSON.writeValueAsString(spec(InitPool.ALL));
    assertTrue(all.contains("\"initPool\" : \"all\""), all);
    assertEquals(spec(InitPool.ALL), ResultStore.JSON.readValue(all, RunSpec.class));
  }
}
