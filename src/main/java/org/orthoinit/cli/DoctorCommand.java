package org.orthoinit.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.orthoinit.experiment.Doctor;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.model.CudaLibraries;
import org.orthoinit.model.Devices;
import org.orthoinit.model.GradientCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What this installation computes on, and whether its devices work. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = "Check the installation: Java and TensorFlow versions, the natives, oneDNN, "
        + "threads, the CUDA and cuDNN libraries (GPU natives), the devices TensorFlow sees, "
        + "a 2-second matmul on each, and the gradients of every layer kind training builds "
        + "over channel counts 8 to 1024 against float64. Exit 0 when the build's devices work "
        + "and every gradient is exact (routed where needed), 1 with the reason.")
final class DoctorCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--json", description = "Print the findings as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Doctor d = Doctor.examine();
    PrintWriter o = spec.commandLine().getOut();
    if (json) {
      o.println(ResultStore.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(d));
    } else {
      o.print(text(d));
    }
    o.flush();
    if (!d.ok()) {
      spec.commandLine().getErr().println("doctor: " + d.reason());
      return Errors.FAILED;
    }
    return 0;
  }

  /**
   * The gradient sweep as a table: a row per channel count, a column per layer kind, each cell
   * the error training meets, marked where the route was taken; the routes listed below it.
   */
  static String gradientTable(List<Doctor.Gradient> gradients) {
    StringBuilder b = new StringBuilder();
    b.append(String.format("gradients     max abs error / max abs value against float64, limit "
        + "%.0e; * input channels padded%n", GradientCheck.TOLERANCE));
    List<String> kinds = gradients.stream().map(Doctor.Gradient::kind).distinct().toList();
    b.append(String.format("  %8s", "channels"));
    kinds.forEach(k -> b.append(String.format(" %11s", k)));
    b.append(System.lineSeparator());
    Map<Integer, List<Doctor.Gradient>> rows = new LinkedHashMap<>();
    gradients.forEach(g -> rows.computeIfAbsent(g.channels(), c -> new ArrayList<>()).add(g));
    List<String> routes = new ArrayList<>();
    rows.forEach((channels, row) -> {
      b.append(String.format("  %8d", channels));
      for (Doctor.Gradient g : row) {
        String cell = String.format("%.1e", g.error()) + (g.routedIn() > 0 ? "*" : " ")
            + (g.ok() ? "" : "!");
        b.append(String.format(" %11s", cell));
        if (g.routedIn() > 0) {
          routes.add(String.format("%s %d->%d (%.1e)", g.kind(), channels, g.routedIn(),
              g.plainError()));
        }
      }
      b.append(System.lineSeparator());
    });
    if (!routes.isEmpty()) {
      b.append(String.format("  routed (%d, as built before: the error in brackets): %s%n",
          routes.size(), String.join(", ", routes)));
    }
    return b.toString();
  }

  static String text(Doctor d) {
    StringBuilder b = new StringBuilder();
    b.append(String.format("Java          %s%n", d.java()));
    b.append(String.format("TensorFlow    %s%n", d.tensorflow()));
    b.append(String.format("natives       %s (%s)%n", d.natives(), d.gpuNatives() ? "CUDA" : "CPU"));
    b.append(String.format("oneDNN        %s (TF_ENABLE_ONEDNN_OPTS %s)%n",
        d.onednn() ? "on: its kernels ran" : "off: TensorFlow's own kernels",
        d.onednnRequested() == null ? "unset: TensorFlow's choice for this CPU"
            : "= " + d.onednnRequested()));
    b.append(String.format("cores         %d%n", d.processors()));
    if (d.cuda() != null) {
      b.append(String.format("driver        %s%n", d.cuda().driverVersion() == null
          ? "no NVIDIA kernel module" : d.cuda().driverVersion()));
      for (CudaLibraries.Library l : d.cuda().libraries()) {
        b.append(String.format("  %-18s %s%n", l.soname(), l.found()
            ? l.path() + " (" + l.version() + ")" : "MISSING"));
      }
      b.append(String.format("TF32          %s%n", d.tf32() ? "allowed (" + Devices.TF32_OVERRIDE
          + " not 0)" : "off (" + Devices.TF32_OVERRIDE + "=0)"));
    }
    for (Devices.Device dev : d.devices()) {
      b.append(String.format("device        %s (%s, %.0f MiB%s)%n", dev.name(), dev.type(),
          dev.memoryBytes() / 1048576.0, dev.computeCapability() == null ? ""
              : ", compute capability " + dev.computeCapability()));
    }
    for (Doctor.Matmul m : d.matmuls()) {
      b.append(String.format("matmul        %d x %d on %s: %.1f GFLOP/s (%d in %.1f s)%n",
          m.size(), m.size(), m.device(), m.gflops(), m.repetitions(), m.seconds()));
    }
    b.append(gradientTable(d.gradients()));
    b.append(d.ok() ? "ok: the build's devices work and compute exact gradients"
        + System.lineSeparator()
        : "not ok: " + d.reason() + System.lineSeparator());
    return b.toString();
  }
}
