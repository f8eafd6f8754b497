package org.orthoinit.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardTest {

  @Test
  void theShardsCoverTheGridExactlyOnce() {
    Figure7Config c = Figure7Config.PAPER; // 2 depths x 2 inits x 4 repeats = 16 runs
    List<Figure7Config.Run> grid = c.runs();
    assertEquals(16, grid.size());
    for (int n = 1; n <= 20; n++) {
      List<Figure7Config.Run> all = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        all.addAll(new Shard(k, n).of(grid));
      }
      assertEquals(grid.size(), all.size(), "n = " + n);
      assertEquals(new HashSet<>(grid), new HashSet<>(all), "n = " + n);
    }
  }

  @Test
  void shardsParseFromFlagsAndSchedulers() {
    assertEquals(new Shard(2, 4), Shard.parse("2/4", Map.of()));
    assertEquals(new Shard(3, 8), Shard.parse("env/8", Map.of("JOB_COMPLETION_INDEX", "3")));
    assertEquals(new Shard(2, 4), Shard.parse("env/4",
        Map.of("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_MIN", "1")));
  }

  @Test
  void badShardsAreRefusedWithTheValue() {
    var e = assertThrows(IllegalArgumentException.class, () -> Shard.parse("4/4", Map.of()));
    assertEquals("shard must be K/N with 0 <= K < N, got 4/4", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Shard.parse("a/b", Map.of()));
    assertThrows(IllegalArgumentException.class, () -> Shard.parse("3", Map.of()));
    assertThrows(IllegalArgumentException.class, () -> Shard.parse("env/2", Map.of()));
  }
}
