package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.model.Architecture;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Summary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints the layer table and writes the GraphDef. */
@Command(name = "summary", mixinStandardHelpOptions = true,
    description = "Print the model's layers (PyTorch names, output shapes, parameters) and write "
        + "its TensorFlow GraphDef.")
final class SummaryCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ModelOptions model;

  @Option(names = "--graphs", paramLabel = "DIR", defaultValue = "graphs",
      description = "Where the GraphDef goes (default: ${DEFAULT-VALUE}).")
  Path graphs;

  @Override
  public Integer call() throws Exception {
    ModelConfig config = model.config();
    PrintWriter out = spec.commandLine().getOut();
    out.print(table(Architecture.of(config)));
    Checks.writableFolder(graphs, "--graphs");
    out.println("GraphDef: " + writeGraph(config, graphs, baseName(config)));
    return 0;
  }

  static String baseName(ModelConfig config) {
    return "alexnet_L" + config.numLayers() + "_level" + config.level()
        + (config.batchNorm() ? "_bn" : "");
  }

  /**
   * Writes DIR/BASE.pb, the inference graph (images -> eval pass -> logits; variables with their
   * setters, no training ops), and DIR/BASE.txt, its layer table; returns the .pb.
   */
  static Path writeGraph(ModelConfig config, Path dir, String base) throws java.io.IOException {
    Path pb = dir.resolve(base + ".pb");
    try (ModelSession session = ModelSession.open(config, 0, 1)) {
      ResultStore.writeBytes(pb, session.graph().toGraphDef().toByteArray());
    }
    ResultStore.writeBytes(dir.resolve(base + ".txt"),
        table(Architecture.of(config)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return pb;
  }

  static String table(Architecture architecture) {
    StringBuilder s = new StringBuilder();
    String format = "%-16s %-36s %-12s %,14d%n";
    s.append(String.format("%-16s %-36s %-12s %14s%n", "layer", "type", "output", "parameters"));
    for (Summary.Row r : Summary.rows(architecture)) {
      s.append(String.format(format, r.name(), r.type(), r.outputShape(), r.parameters()));
    }
    s.append(String.format(format, "total", "", "", Summary.totalParameters(architecture)));
    return s.toString();
  }
}
