package org.orthoinit.cli;

import org.tensorflow.TensorFlow;
import picocli.CommandLine;

/** Prints the tool's and TensorFlow's versions. */
final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {"orthoinit " + (v == null ? "(development)" : v),
        "TensorFlow " + TensorFlow.version()};
  }
}
