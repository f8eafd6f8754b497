package org.orthoinit.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Shard {@code index} of {@code count}: the runs whose position in the grid is index modulo count,
 * so N machines with shards 0..N-1 cover the grid exactly once.
 */
public record Shard(int index, int count) {

  public static final Shard ALL = new Shard(0, 1);

  public Shard {
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("shard must be K/N with 0 <= K < N, got " + index + "/"
          + count);
    }
  }

  /**
   * Parses {@code K/N}, or {@code env/N} to take K from the scheduler: a Kubernetes indexed Job's
   * JOB_COMPLETION_INDEX, or a Slurm array's SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN.
   */
  public static Shard parse(String text, Map<String, String> env) {
    String[] parts = text.trim().split("/");
    if (parts.length != 2) {
      throw new IllegalArgumentException("shard must be K/N or env/N, got '" + text + "'");
    }
    try {
      int count = Integer.parseInt(parts[1].trim());
      int index;
      if (parts[0].trim().equals("env")) {
        if (env.containsKey("JOB_COMPLETION_INDEX")) {
          index = Integer.parseInt(env.get("JOB_COMPLETION_INDEX").trim());
        } else if (env.containsKey("SLURM_ARRAY_TASK_ID")) {
          index = Integer.parseInt(env.get("SLURM_ARRAY_TASK_ID").trim())
              - Integer.parseInt(env.getOrDefault("SLURM_ARRAY_TASK_MIN", "0").trim());
        } else {
          throw new IllegalArgumentException("shard env/" + count + ": neither "
              + "JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set");
        }
      } else {
        index = Integer.parseInt(parts[0].trim());
      }
      return new Shard(index, count);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("shard must be K/N with whole numbers, got '" + text
          + "'");
    }
  }

  /** This shard's part of {@code runs}. */
  public <T> List<T> of(List<T> runs) {
    List<T> out = new ArrayList<>();
    for (int i = index; i < runs.size(); i += count) {
      out.add(runs.get(i));
    }
    return out;
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }
}
