package org.orthoinit.init;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.StepStats;

/** Where the SVD init's time goes: its traced ops summed by rewritten layer and stage. */
public final class SvdProfile {

  /** What a rewritten layer's work is split into, in the order it runs. */
  public static final List<String> STAGES = List.of("patches", "gram", "decomposition", "kernel",
      "norm");

  private SvdProfile() {}

  /** Sums the traced ops' run times by layer and stage (node names: svd_init/walk/LAYER/STAGE/). */
  static List<SvdReport.LayerTimes> times(StepStats stats, List<String> weights) {
    Map<String, Map<String, Double>> byLayer = new LinkedHashMap<>();
    for (String weight : weights) {
      Map<String, Double> stages = new LinkedHashMap<>();
      STAGES.forEach(stage -> stages.put(stage, 0.0));
      byLayer.put(weight.replace(".weight", ""), stages);
    }
    for (DeviceStepStats d : stats.getDevStatsList()) {
      for (NodeExecStats node : d.getNodeStatsList()) {
        String[] parts = node.getNodeName().split("/");
        if (parts.length > 4 && parts[0].equals("svd_init") && parts[1].equals("walk")) {
          Map<String, Double> stages = byLayer.get(parts[2]);
          if (stages != null && stages.containsKey(parts[3])) {
            stages.merge(parts[3], node.getAllEndRelMicros() / 1e6, Double::sum);
          }
        }
      }
    }
    return byLayer.entrySet().stream().map(e -> new SvdReport.LayerTimes(e.getKey(), e.getValue())).toList();
  }
}
