package org.orthoinit.cli;

import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.orthoinit.experiment.Environment;
import org.orthoinit.model.Compute;
import org.orthoinit.model.CudaLibraries;
import org.orthoinit.model.Devices;
import picocli.CommandLine.Option;

/**
 * {@code --device}, {@code --tf32}, {@code --gpu-memory-fraction}, {@code
 * --no-gpu-memory-growth}: for commands that build a model. {@link #resolve} decides the device
 * once per process and says once what keeps a GPU build from its GPU.
 */
final class DeviceOptions {

  @Option(names = "--device", paramLabel = "auto|cpu|gpu", defaultValue = "auto",
      description = "auto: the GPU when TensorFlow sees one, else the CPU (a GPU build says what "
          + "is missing); cpu: the CPU only; gpu: refuse to start without a usable GPU "
          + "(default: ${DEFAULT-VALUE}).")
  Compute.Device device;

  @Option(names = "--tf32",
      description = "Allow TensorFloat-32 in GPU matmuls and convolutions (Ampere and newer: "
          + "10-bit mantissas, about 1e-3 relative error); off by default, so float32 is exact.")
  boolean tf32;

  @Option(names = "--gpu-memory-fraction", paramLabel = "F", defaultValue = "0",
      description = "Take at most this fraction of each GPU's memory, in (0, 1]; 0 = no cap "
          + "(default: ${DEFAULT-VALUE}).")
  double gpuMemoryFraction;

  @Option(names = "--no-gpu-memory-growth",
      description = "Take all GPU memory at start, as TensorFlow does by itself; by default it "
          + "grows as needed, so that several processes (shards) can share a GPU.")
  boolean noMemoryGrowth;

  /** The decision of this process: a grid's runs share it, and its warning is said once. */
  private static final Choice PROCESS = new Choice(DeviceOptions::probe);

  /**
   * The device settings, with the device decided; the warning, if any, goes to {@code err} the
   * first time.
   *
   * @throws IllegalArgumentException for a bad fraction (a usage error)
   * @throws Devices.Unavailable for --device gpu without a usable GPU, or TF32 asked for where
   *     the environment keeps it off
   */
  Compute resolve(PrintWriter err) throws Devices.Unavailable {
    if (!(gpuMemoryFraction >= 0 && gpuMemoryFraction <= 1)) {
      throw new IllegalArgumentException("--gpu-memory-fraction must be in (0, 1], or 0 for no "
          + "cap, got " + gpuMemoryFraction);
    }
    Compute wanted = new Compute(device, tf32, !noMemoryGrowth, gpuMemoryFraction);
    Devices.Resolution r = PROCESS.decide(wanted, err);
    if (r.device() == Compute.Device.GPU) {
      checkTf32(tf32, Environment.tf32Allowed());
    }
    return wanted.on(r.device());
  }

  /** What this process's build and machine offer: a GPU build asks TensorFlow for its GPUs. */
  static Devices.Machine probe(Compute wanted) {
    boolean natives = Environment.gpuNatives();
    List<Devices.Device> gpus = natives && wanted.device() != Compute.Device.CPU
        ? Devices.gpus(wanted.on(Compute.Device.AUTO), Devices.computeCapabilities())
        : List.of();
    return new Devices.Machine(natives, gpus,
        natives && gpus.isEmpty() ? CudaLibraries.probe() : new CudaLibraries(null, List.of()),
        System.getenv("CUDA_VISIBLE_DEVICES"));
  }

  /** Decides once per device asked for, and says the warning once. */
  static final class Choice {
    private final Function<Compute, Devices.Machine> machine;
    private final Map<Compute.Device, Devices.Resolution> decided = new EnumMap<>(
        Compute.Device.class);
    private boolean warned;

    Choice(Function<Compute, Devices.Machine> machine) {
      this.machine = machine;
    }

    synchronized Devices.Resolution decide(Compute wanted, PrintWriter err)
        throws Devices.Unavailable {
      Devices.Resolution r = decided.get(wanted.device());
      if (r == null) {
        r = Devices.resolve(wanted.device(), machine.apply(wanted));
        decided.put(wanted.device(), r);
      }
      if (r.warning() != null && !warned) {
        err.println("orthoinit: " + r.warning());
        err.flush();
        warned = true;
      }
      return r;
    }
  }

  /**
   * TF32 is on for a GPU unless {@value Devices#TF32_OVERRIDE}=0 is in the environment, which
   * only the process's start can set: the launcher does, unless --tf32 is given.
   */
  static void checkTf32(boolean wanted, boolean allowed) throws Devices.Unavailable {
    if (wanted && !allowed) {
      throw new Devices.Unavailable("--tf32: " + Devices.TF32_OVERRIDE + "=0 is set in the "
          + "environment, which keeps TF32 off; unset it (./orthoinit sets it only without "
          + "--tf32)");
    }
    if (!wanted && allowed) {
      throw new Devices.Unavailable("TF32 would be on: TensorFlow enables it on Ampere and newer "
          + "GPUs; start through ./orthoinit, or set " + Devices.TF32_OVERRIDE + "=0, or pass "
          + "--tf32 to allow it");
    }
  }
}
