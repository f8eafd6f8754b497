package org.orthoinit.experiment;

import java.util.ArrayList;
import java.util.List;
import org.orthoinit.model.Compute;
import org.orthoinit.model.CudaLibraries;
import org.orthoinit.model.Devices;
import org.orthoinit.model.ModelSession;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/**
 * What this installation can compute on: versions, natives, oneDNN, the CUDA libraries, the
 * devices TensorFlow sees, and a short matmul on each of them. The data behind {@code doctor}.
 *
 * @param onednnRequested TF_ENABLE_ONEDNN_OPTS as set, null when unset (TensorFlow's choice)
 * @param onednn whether oneDNN's kernels ran in a traced convolution
 * @param cuda the driver and CUDA libraries found; null with the CPU natives
 * @param tf32 whether cuBLAS and cuDNN may use TF32 in this process (false with the CPU natives)
 * @param ok the build's devices work: with the GPU natives a GPU, else the CPU, ran its matmul
 * @param reason why not, in one line; null when ok
 */
public record Doctor(String java, String tensorflow, String natives, boolean gpuNatives,
    String onednnRequested, boolean onednn, int processors, CudaLibraries cuda, boolean tf32,
    List<Devices.Device> devices, List<Matmul> matmuls, boolean ok, String reason) {

  /** The matmul's size: large enough for a GPU to show its speed, done in a few seconds here. */
  public static final int MATMUL_SIZE = 2048;
  /** How long each device multiplies. */
  public static final double MATMUL_SECONDS = 2.0;

  /** One device's matmul: n x n float32, repeated for about {@link #MATMUL_SECONDS}. */
  public record Matmul(String device, int size, int repetitions, double seconds, double gflops) {}

  /** Examines this process's TensorFlow. */
  public static Doctor examine() {
    boolean gpuNatives = Environment.gpuNatives();
    List<Devices.Device> devices;
    try (Graph g = new Graph(); Session s = new Session(g, false, Compute.DEFAULT.proto(0))) {
      devices = Devices.list(s);
    }
    List<Matmul> matmuls = new ArrayList<>();
    for (Devices.Device d : devices) {
      matmuls.add(matmul(d));
    }
    CudaLibraries cuda = gpuNatives ? CudaLibraries.probe() : null;
    List<Devices.Device> gpus = devices.stream().filter(d -> d.type().equals("GPU")).toList();
    String reason = null;
    if (gpuNatives && gpus.isEmpty()) {
      reason = "GPU natives, but no usable GPU: " + Devices.missing(new Devices.Machine(true,
          gpus, cuda, System.getenv("CUDA_VISIBLE_DEVICES")));
    } else if (matmuls.isEmpty()) {
      reason = "TensorFlow lists no device";
    }
    return new Doctor(System.getProperty("java.version") + " (" + System.getProperty("java.vm.name")
        + ")", TensorFlow.version(), Environment.nativesClassifier(), gpuNatives,
        System.getenv("TF_ENABLE_ONEDNN_OPTS"), onednnRan(), Runtime.getRuntime()
        .availableProcessors(), cuda, gpuNatives && Environment.tf32Allowed(), devices, matmuls,
        reason == null, reason);
  }

  /** Whether a small convolution on the CPU runs as oneDNN's kernel (an {@code _Mkl} op). */
  static boolean onednnRan() {
    try (Graph g = new Graph(); Session s = new Session(g, false, Compute.CPU.proto(0))) {
      Ops tf = Ops.create(g);
      // random inputs: a convolution of constants would be folded before it runs
      Operand<TFloat32> y = tf.nn.conv2d(tf.random.randomUniform(tf.constant(
          new long[] {1, 8, 8, 4}), TFloat32.class), tf.random.randomUniform(tf.constant(
          new long[] {3, 3, 4, 4}), TFloat32.class), List.of(1L, 1L, 1L, 1L), "SAME");
      RunOptions trace = RunOptions.newBuilder()
          .setTraceLevel(RunOptions.TraceLevel.SOFTWARE_TRACE).build();
      try (Result r = s.runner().fetch(y).setOptions(trace).runAndFetchMetadata()) {
        for (DeviceStepStats d : r.getMetadata().orElseThrow().getStepStats().getDevStatsList()) {
          for (NodeExecStats n : d.getNodeStatsList()) {
            if (ModelSession.opType(n).startsWith("_Mkl")) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  /** An n x n matmul pinned to {@code device}, repeated until {@link #MATMUL_SECONDS} pass. */
  static Matmul matmul(Devices.Device device) {
    int index = Integer.parseInt(device.name().substring(device.name().lastIndexOf(':') + 1));
    DeviceSpec spec = DeviceSpec.newBuilder().deviceType(DeviceSpec.DeviceType.valueOf(
        device.type())).deviceIndex(index).build();
    try (MatmulTimer timer = new MatmulTimer(MATMUL_SIZE, Compute.DEFAULT.proto(0), spec)) {
      timer.seconds(); // warm-up
      int reps = 0;
      double seconds = 0;
      do {
        seconds += timer.seconds();
        reps++;
      } while (seconds < MATMUL_SECONDS);
      return new Matmul(device.name(), MATMUL_SIZE, reps, seconds,
          timer.gflops(seconds / reps));
    }
  }
}
