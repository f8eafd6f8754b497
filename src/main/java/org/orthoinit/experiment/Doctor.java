package org.orthoinit.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ConvRoutes;
import org.orthoinit.model.Dims;
import org.orthoinit.model.GradientCheck;
import org.orthoinit.model.Layer;
import org.orthoinit.model.CudaLibraries;
import org.orthoinit.model.Devices;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Window;
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
 * devices TensorFlow sees, a short matmul on each of them, and the gradients of every layer kind
 * the graph builder emits over a sweep of channel counts. The data behind {@code doctor}.
 *
 * @param onednnRequested TF_ENABLE_ONEDNN_OPTS as set, null when unset (TensorFlow's choice)
 * @param onednn whether oneDNN's kernels ran in a traced convolution
 * @param cuda the driver and CUDA libraries found; null with the CPU natives
 * @param tf32 whether cuBLAS and cuDNN may use TF32 in this process (false with the CPU natives)
 * @param gradients the gradient sweep ({@link #gradients}), on the device training would use
 * @param ok the build's devices work (with the GPU natives a GPU, else the CPU, ran its matmul)
 *     and every layer kind of the sweep gets exact gradients, routed where needed
 * @param reason why not, in one line; null when ok
 */
public record Doctor(String java, String tensorflow, String natives, boolean gpuNatives,
    String onednnRequested, boolean onednn, int processors, CudaLibraries cuda, boolean tf32,
    List<Devices.Device> devices, List<Matmul> matmuls, List<Gradient> gradients, boolean ok,
    String reason) {

  /** The channel counts of the gradient sweep. */
  public static final List<Integer> SWEEP = List.of(8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112,
      128, 144, 160, 192, 256, 320, 384, 512, 768, 1024);

  /**
   * One layer kind the graph builder emits at one channel count: its gradients against float64
   * ({@link GradientCheck}), as training computes them.
   *
   * @param kind the column's name
   * @param channels input channels (and output channels, except for the classifier's linear)
   * @param plainError the worst gradient's max abs error / max abs value as the layer is built
   * @param routedIn the input channels of the route taken where the plain layer fails; 0 if none
   * @param error the worst error training meets: the route's where there is one
   */
  public record Gradient(String kind, int channels, double plainError, int routedIn,
      double error) {

    public boolean ok() {
      return error <= GradientCheck.TOLERANCE;
    }
  }

  /** The sweep's layer kinds, by column name, for {@code c} channels. */
  static Map<String, GradientCheck.Case> kinds(int c) {
    Map<String, GradientCheck.Case> k = new LinkedHashMap<>();
    k.put("conv 1x1", conv(c, c, Window.square(1, 1, 0), 1, 12));
    k.put("conv 3x3", conv(c, c, Window.square(3, 1, 1), 1, 6));
    k.put("conv 3x3/2", conv(c, c, Window.square(3, 2, 1), 1, 7));
    k.put("groups 2", conv(c, c, Window.square(3, 1, 1), 2, 6));
    k.put("depthwise", conv(c, c, Window.square(3, 1, 1), c, 6));
    k.put("linear", new GradientCheck.Case(new Layer.Linear("fc", "x", c, c, false),
        Dims.vector(c)));
    k.put("max pool", new GradientCheck.Case(Layer.MaxPool.of("pool", "x", 2), new Dims(c, 8,
        8)));
    k.put("avg pool", new GradientCheck.Case(new Layer.AvgPool("pool", "x", Window.square(3, 1,
        1), false, false), new Dims(c, 6, 6)));
    return k;
  }

  private static GradientCheck.Case conv(int in, int out, Window w, int groups, int size) {
    return new GradientCheck.Case(new Layer.Conv("conv", "x", in, out, w, groups, false),
        new Dims(in, size, size));
  }

  /**
   * The gradient sweep: every kind of {@link #kinds} at every count of {@link #SWEEP} on the
   * CPU, routed as training routes it.
   */
  public static List<Gradient> gradients(Compute compute) {
    List<String> names = new ArrayList<>();
    List<Integer> counts = new ArrayList<>();
    List<GradientCheck.Case> cases = new ArrayList<>();
    for (int c : SWEEP) {
      kinds(c).forEach((name, kase) -> {
        names.add(name);
        counts.add(c);
        cases.add(kase);
      });
    }
    List<ConvRoutes.Resolution> r = ConvRoutes.resolve(cases, compute);
    List<Gradient> out = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      ConvRoutes.Resolution x = r.get(i);
      out.add(new Gradient(names.get(i), counts.get(i), x.plain().worst(),
          x.routed() == null ? 0 : x.routed().c().routedIn(), x.used().worst()));
    }
    return out;
  }

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
    List<Gradient> gradients = gradients(gpus.isEmpty() ? Compute.CPU : Compute.DEFAULT);
    String reason = null;
    Gradient wrong = gradients.stream().filter(g -> !g.ok()).findFirst().orElse(null);
    if (gpuNatives && gpus.isEmpty()) {
      reason = "GPU natives, but no usable GPU: " + Devices.missing(new Devices.Machine(true,
          gpus, cuda, System.getenv("CUDA_VISIBLE_DEVICES")));
    } else if (matmuls.isEmpty()) {
      reason = "TensorFlow lists no device";
    } else if (wrong != null) {
      reason = String.format("the %s gradient at %d channels is %.1e off float64 (limit %.0e) "
          + "with no route around it: training such layers here would follow a wrong "
          + "gradient; run with TF_ENABLE_ONEDNN_OPTS=0 (TensorFlow's own kernels)",
          wrong.kind(), wrong.channels(), wrong.error(), GradientCheck.TOLERANCE);
    }
    return new Doctor(System.getProperty("java.version") + " (" + System.getProperty("java.vm.name")
        + ")", TensorFlow.version(), Environment.nativesClassifier(), gpuNatives,
        System.getenv("TF_ENABLE_ONEDNN_OPTS"), onednnRan(), Runtime.getRuntime()
        .availableProcessors(), cuda, gpuNatives && Environment.tf32Allowed(), devices, matmuls,
        gradients, reason == null, reason);
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
