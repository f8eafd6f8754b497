package org.orthoinit.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.tensorflow.TensorFlow;

/**
 * Where a run ran: versions, the TensorFlow natives it was built with, threads.
 *
 * @param device "gpu" when built with the CUDA natives (the {@code gpu} Maven profile), else "cpu"
 * @param natives the tensorflow-core-native classifier on the class path
 */
public record Environment(String tensorflow, String device, String natives, int threads,
    int processors, String java, String os) {

  /** The build's own properties, filtered by Maven. */
  private static final String BUILD_PROPERTIES = "/orthoinit-build.properties";

  /** Describes this process; {@code threads} as configured (0 = TensorFlow's default). */
  public static Environment current(int threads) {
    String natives = nativesClassifier();
    return new Environment(TensorFlow.version(), natives.endsWith("-gpu") ? "gpu" : "cpu", natives,
        threads, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.arch"));
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
