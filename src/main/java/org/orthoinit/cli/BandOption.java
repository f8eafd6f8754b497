package org.orthoinit.cli;

import org.orthoinit.experiment.Stats;
import picocli.CommandLine.Option;

/** {@code --band}: how the figures' 95% bands around a mean over repeats are computed. */
final class BandOption {

  @Option(names = "--band", paramLabel = "bootstrap|t", defaultValue = "bootstrap",
      description = "Bands of the mean over repeats: bootstrap = seaborn's ci=95, as the seed "
          + "draws (percentile bootstrap, 1,000 resamples, seeded); t = Student's t-interval "
          + "(default: ${DEFAULT-VALUE}).")
  Stats.Band band;
}
