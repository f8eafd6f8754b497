package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import org.orthoinit.model.Devices;
import org.orthoinit.model.ModelSession;
import org.tensorflow.TensorFlow;

/**
 * Where a run ran: versions, the TensorFlow natives it was built with, the devices TensorFlow saw
 * and the one it computed on, threads.
 *
 * @param device the device the model's convolutions were placed on, as TensorFlow names it
 *     ({@code /job:localhost/replica:0/task:0/device:CPU:0}); results written before placement
 *     was recorded hold "cpu" or "gpu", the natives they were built with
 * @param natives the tensorflow-core-native classifier on the class path
 * @param devices every device the session saw; null in older results
 * @param onednn whether oneDNN's kernels ran; null in older results
 * @param tf32 whether TensorFloat-32 was allowed on the GPU the run used (always false on a CPU);
 *     null in older results
 */
public record Environment(String tensorflow, String device, String natives, int threads,
    int processors, String java, String os,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<Devices.Device> devices,
    @JsonInclude(JsonInclude.Include.NON_NULL) Boolean onednn,
    @JsonInclude(JsonInclude.Include.NON_NULL) Boolean tf32) {

  /** The build's own properties, filtered by Maven. */
  private static final String BUILD_PROPERTIES = "/orthoinit-build.properties";

  /** Describes this process and the session's devices; the session's convolutions are traced. */
  public static Environment of(ModelSession session) {
    ModelSession.Placement p = session.placement();
    boolean gpu = p.device().contains("GPU");
    return new Environment(TensorFlow.version(), p.device(), nativesClassifier(),
        session.threads(), Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        session.devices(), p.onednn(), gpu && tf32Allowed());
  }

  /** Whether the build has the CUDA natives (the {@code gpu} Maven profile). */
  public static boolean gpuNatives() {
    return nativesClassifier().endsWith("-gpu");
  }

  /**
   * Whether cuBLAS and cuDNN may use TF32 in this process: unless {@value
   * Devices#TF32_OVERRIDE}=0, which the launcher sets when --tf32 is not given.
   */
  public static boolean tf32Allowed() {
    return !"0".equals(System.getenv(Devices.TF32_OVERRIDE));
  }

  static String nativesClassifier() {
    try (InputStream in = Environment.class.getResourceAsStream(BUILD_PROPERTIES)) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("tensorflow.native.classifier", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
