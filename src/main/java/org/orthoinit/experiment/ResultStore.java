package org.orthoinit.experiment;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import org.orthoinit.util.AtomicFiles;
import org.orthoinit.util.Text;

/**
 * Reads and writes result JSON; every write is atomic (a temp file, then a rename). Reading
 * ignores fields it does not know, so results written by later versions still read.
 */
public final class ResultStore {

  /** Shared, configured once: pretty output, records supported natively by Jackson. */
  public static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private ResultStore() {}

  /** Writes {@code value} as JSON to {@code file} atomically: readers see the old or the new file. */
  public static void write(Path file, Object value) throws IOException {
    AtomicFiles.write(file, JSON.writeValueAsBytes(value));
  }

  /**
   * Reads a run result and checks that it is whole: a name, a spec, a known status, epochs
   * numbered from 1 with a loss each (the last may be null only in a diverged run).
   *
   * @throws ExperimentException naming the file and what is wrong with it, in one line
   */
  public static RunResult readRun(Path file) throws ExperimentException {
    RunResult r;
    try {
      r = JSON.readValue(file.toFile(), RunResult.class);
    } catch (IOException e) {
      throw new ExperimentException(file + ": not a readable run result (" + Text.firstLine(e)
          + ")");
    }
    String wrong = problem(r);
    if (wrong != null) {
      throw new ExperimentException(file + ": not a complete run result (" + wrong + ")");
    }
    return r;
  }

  private static String problem(RunResult r) {
    if (r == null) {
      return "empty";
    }
    if (r.name() == null || r.spec() == null || r.spec().train() == null
        || r.spec().init() == null) {
      return "no name or spec";
    }
    if (!RunResult.OK.equals(r.status()) && !r.diverged()) {
      return "status '" + r.status() + "'";
    }
    if (r.epochs() == null || r.epochs().isEmpty()) {
      return "no epochs";
    }
    for (int i = 0; i < r.epochs().size(); i++) {
      RunResult.Epoch e = r.epochs().get(i);
      if (e == null || e.epoch() != i + 1) {
        return "epoch " + (i + 1) + " missing or out of order";
      }
      boolean lastOfDiverged = r.diverged() && i == r.epochs().size() - 1;
      if (!lastOfDiverged && (e.loss() == null || !Double.isFinite(e.loss()))) {
        return "epoch " + (i + 1) + " has no finite loss";
      }
    }
    if (r.orthogonality() != null && r.orthogonality().contains(null)) {
      return "an empty orthogonality entry";
    }
    return null;
  }
}
