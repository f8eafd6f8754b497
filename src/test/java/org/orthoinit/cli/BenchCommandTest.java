package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Summary;

/** The benchmark's quick mode: the shape of what it writes, not how fast anything is. */
class BenchCommandTest {

  @TempDir
  Path tmp;

  @Test
  void quickModeWritesEveryFigureForEveryDepth() throws Exception {
    Path json = tmp.resolve("bench").resolve("quick.json");
    Cli r = Cli.run("bench", "--quick", "--layers", "0,1", "--json", json.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode root = ResultStore.JSON.readTree(json.toFile());
    assertTrue(root.path("matmul_gflops").path("median").asDouble() > 0, root.toString());
    assertEquals(Runtime.getRuntime().availableProcessors(),
        root.path("environment").path("processors").asInt(), root.toString());
    assertTrue(root.path("cpu").asText().length() > 0);
    JsonNode depths = root.path("depths");
    assertEquals(2, depths.size());
    for (int i = 0; i < 2; i++) {
      JsonNode d = depths.get(i);
      assertEquals(i, d.path("layers").asInt());
      for (String key : List.of("images_per_second", "bare_loop_images_per_second",
          "pipeline_ratio", "gflops", "fraction_of_matmul", "svd_init_seconds")) {
        assertTrue(d.path(key).isNumber() && d.path(key).asDouble() > 0, key + " in " + d);
      }
      assertEquals(2, d.path("images_per_second_spread").path("n").asInt());
      // the initializer's split: every square conv (2 + extra layers), every stage, all timed
      JsonNode layers = d.path("svd_init_layers");
      assertEquals(2 + i, layers.size(), d.toString());
      for (JsonNode l : layers) {
        assertTrue(l.path("layer").asText().startsWith("features."), l.toString());
        for (String stage : List.of("patches", "gram", "decomposition", "norm")) {
          assertTrue(l.path("seconds").path(stage).asDouble() > 0, stage + " in " + l);
        }
        assertTrue(l.path("seconds").path("kernel").isNumber(), l.toString()); // a reshape
      }
      assertEquals(5, d.path("svd_init_stages").size(), d.toString());
      assertTrue(d.path("svd_init_fallbacks").isArray(), d.toString());
      // a step of 30 images is three forward passes' worth (the forward pass, the gradients of
      // the inputs and of the weights); images/s and GFLOP/s are one figure in two units
      double flop = 3.0 * 30 * (L0_FLOPS + i * EXTRA_LAYER_FLOPS);
      assertEquals(flop / 1e9, d.path("step_gflop").asDouble(), 1e-9);
      assertEquals(d.path("images_per_second").asDouble() / 30 * flop / 1e9,
          d.path("gflops").asDouble(), 1e-6);
    }
    assertTrue(root.path("peak_resident_mib").asDouble() > 100);
    assertTrue(r.out().contains("real/bare"), r.out());
    assertTrue(r.out().contains("SVD init at 1 layers, per rewritten layer"), r.out());
    assertEquals(2, r.out().lines().filter(l -> l.matches("\\s+[01] .*")).count(), r.out());
  }

  /**
   * One image's forward FLOPs at 0 extra layers, by hand: 2 per multiply-add of conv 3->64 at
   * 16x16, 64->192 at 8x8, 192->192, 192->256 and 256->256 at 4x4 (3x3 kernels), then the linear
   * layers 1024x4096, 4096x4096, 4096x10.
   */
  private static final long L0_FLOPS = 2L * 9 * (16 * 16 * 3 * 64 + 8 * 8 * 64 * 192
      + 4 * 4 * (192 * 192 + 192 * 256 + 256 * 256)) + 2L * (1024 * 4096 + 4096 * 4096
      + 4096 * 10);
  /** What each extra level-3 layer adds: a 256->256 3x3 conv at 4x4. */
  private static final long EXTRA_LAYER_FLOPS = 2L * 9 * 16 * 256 * 256;

  @Test
  void forwardFlopsCountConvolutionsAndLinearLayers() {
    assertEquals(L0_FLOPS, Summary.forwardFlops(AlexNet.of(ModelConfig.of(0))));
    assertEquals(L0_FLOPS + 75 * EXTRA_LAYER_FLOPS,
        Summary.forwardFlops(AlexNet.of(ModelConfig.of(75))));
  }
}
