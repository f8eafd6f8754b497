package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.InitException;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ConvRoutes;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSource;
import org.orthoinit.model.Network;
import org.orthoinit.train.TrainConfig;
import org.orthoinit.util.Text;

/**
 * Runs the Figure 7 grid into a results folder that survives anything: one JSON per finished run,
 * written atomically under {@code runs/}; a rerun skips finished runs; the folder's settings live
 * in {@code figure7.json} and other settings are refused; shards of the grid may fill one folder
 * from several machines.
 */
public final class Figure7 {

  public static final String SETTINGS_FILE = "figure7.json";
  public static final String SUMMARY_FILE = "summary.json";
  public static final String RUNS = "runs";
  /** Room kept per run of a shard: a run file is 10-60 KB. */
  private static final long RUN_FILE_BYTES = 256L << 10;
  /** Room kept per depth for its figures (PNG, SVG, PDF; loss and gap): about 2 MB. */
  private static final long FIGURE_BYTES = 4L << 20;
  /** A temp file older than this is left over from a killed write and may be removed. */
  private static final Duration STALE_TMP = Duration.ofMinutes(10);

  /** What the grid reports while it works, besides each run's own progress. */
  public interface Listener extends TrainingRun.Listener {
    Listener NONE = new Listener() {};

    /** Training begins: {@code runs} runs of {@code epochs} epochs each are still to do. */
    default void gridStarted(int runs, int epochs) {}

    /** A run of this shard begins: its position among the shard's runs still to do. */
    default void runStarted(Figure7Config.Run run, int position, int todo) {}

    /** A run finished and its file was written; or it was found finished already. */
    default void runDone(RunResult result, boolean skipped) {}

    /**
     * A run file that cannot be kept was moved aside (to {@code moved}) and will be redone;
     * {@code why} names the file and the fault.
     */
    default void runSetAside(Path file, Path moved, String why) {}

    /** A run could not be initialized; the grid goes on without it. */
    default void runFailed(Figure7Config.Run run, String why) {}
  }

  /**
   * The settings file: the grid and what the folder was made with.
   *
   * @param data SHA-256 fingerprints of the training and test images the runs used; null in
   *     folders made before they were recorded (then not compared)
   */
  public record Settings(Figure7Config config, String decomposition,
      @JsonInclude(JsonInclude.Include.NON_NULL) DataPrint data) {}

  /** Which images a grid trains and tests on. */
  public record DataPrint(String train, String test) {
    /** The fingerprints of these data sets ({@code test} may be null). */
    public static DataPrint of(Cifar10Data train, Cifar10Data test) {
      return new DataPrint(train.fingerprint(), test == null ? null : test.fingerprint());
    }
  }

  /** What {@link #run} did: every result of the shard, and the runs that failed. */
  public record Outcome(List<RunResult> results, List<String> failures) {}

  private Figure7() {}

  /**
   * Checks {@code out} against {@code config}: a new folder gets the settings file; a folder with
   * other settings is refused once it holds a run (until then its settings may still change).
   *
   * @throws ExperimentException naming the file and the first difference
   */
  public static void prepare(Path out, Figure7Config config)
      throws IOException, ExperimentException {
    settle(out, config, null, true);
  }

  /**
   * Refuses {@code config} for {@code out} if the folder holds runs of other settings; writes
   * nothing. For a quick check before loading data; {@link #run} settles the folder under its lock.
   */
  public static void check(Path out, Figure7Config config)
      throws IOException, ExperimentException {
    if (Files.isDirectory(out.resolve(RUNS)) && hasRuns(out)) {
      settle(out, config, null, false);
    }
  }

  /**
   * Compares the folder's settings with {@code config} and {@code data} (null: not known yet, the
   * folder's are kept). With {@code mayWrite} (no other figure7 runs in the folder) a new folder,
   * or one without runs, gets these settings; without it, or once runs exist, any difference is
   * refused.
   */
  private static void settle(Path out, Figure7Config config, DataPrint data, boolean mayWrite)
      throws IOException, ExperimentException {
    Files.createDirectories(out.resolve(RUNS));
    Path file = out.resolve(SETTINGS_FILE);
    JsonNode theirs = null;
    if (Files.exists(file)) {
      try {
        theirs = ResultStore.JSON.readTree(file.toFile());
        if (data == null && theirs.has("data")) {
          data = ResultStore.JSON.treeToValue(theirs.get("data"), DataPrint.class);
        }
      } catch (IOException e) {
        throw new ExperimentException(file + ": unreadable settings ("
            + Text.firstLine(e) + "); move it away to start the folder afresh");
      }
    }
    // a folder keeps the decomposition it was started with (gram_eigh before subspace became
    // the default), so that its remaining runs are made as its finished ones were
    Settings mine = new Settings(config, decomposition(theirs).name(), data);
    if (theirs == null) {
      if (mayWrite) {
        ResultStore.write(file, mine);
      }
      return;
    }
    // through text, so numbers on both sides are parsed alike
    JsonNode ours = ResultStore.JSON.readTree(ResultStore.JSON.writeValueAsString(mine));
    boolean unprinted = !theirs.has("data"); // a folder from before fingerprints
    if (unprinted && ours instanceof ObjectNode o) {
      o.remove("data");
    }
    String diff = firstDifference("", ours, theirs);
    if (diff == null) {
      if (mayWrite && unprinted && data != null) {
        ResultStore.write(file, mine); // from now on its data is checked
      }
      return;
    }
    if (hasRuns(out)) {
      String what = diff.startsWith("data.") ? "results of other images"
          : "results of other settings";
      throw new ExperimentException(file + ": this folder holds " + what + " (" + diff
          + "); use another --out, or the same settings and data");
    }
    if (!mayWrite) {
      throw new ExperimentException(file + ": another figure7 is running into this folder with "
          + "other settings (" + diff + "); use another --out, or the same settings and data");
    }
    ResultStore.write(file, mine);
  }

  /** Whether any run file exists: until then, a folder's settings may still change. */
  private static boolean hasRuns(Path out) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(out.resolve(RUNS), "*.json")) {
      return s.iterator().hasNext();
    }
  }

  /** The settings stored in a results folder. */
  public static Figure7Config settings(Path out) throws ExperimentException {
    Path file = out.resolve(SETTINGS_FILE);
    if (!Files.isRegularFile(file)) {
      throw new ExperimentException(file + ": not found; is " + out + " a figure7 results folder?");
    }
    try {
      return ResultStore.JSON.readValue(file.toFile(), Settings.class).config();
    } catch (IOException e) {
      throw new ExperimentException(file + ": unreadable settings (" + Text.firstLine(e) + ")");
    }
  }

  /** Path -> value of the first place where two settings trees differ, or null. */
  private static String firstDifference(String path, JsonNode a, JsonNode b) {
    if (a.isObject() && b.isObject()) {
      var names = new java.util.TreeSet<String>();
      a.fieldNames().forEachRemaining(names::add);
      b.fieldNames().forEachRemaining(names::add);
      for (String n : names) {
        if (n.equals("preset") || path.equals("config.network") && n.equals("file")) {
          continue; // labels: a preset's values, a network file's contents are compared
        }
        String d = firstDifference(path.isEmpty() ? n : path + "." + n,
            a.path(n), b.path(n));
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    return a.equals(b) ? null : path + " " + a + " here, " + b + " in the folder";
  }

  /** The SVD initializer's decomposition a settings tree names; the default if none or unknown. */
  private static SvdInitializer.Decomposition decomposition(JsonNode settings) {
    if (settings != null && settings.path("decomposition").isTextual()) {
      for (SvdInitializer.Decomposition d : SvdInitializer.Decomposition.values()) {
        if (d.name().equals(settings.path("decomposition").asText())) {
          return d;
        }
      }
    }
    return SvdInitializer.DECOMPOSITION_DEFAULT;
  }

  /**
   * The decomposition the runs in {@code out} use: the one its settings file names (folders
   * started before subspace became the default name gram_eigh), else the default.
   */
  public static SvdInitializer.Decomposition decomposition(Path out) {
    Path file = out.resolve(SETTINGS_FILE);
    try {
      return decomposition(Files.isRegularFile(file) ? ResultStore.JSON.readTree(file.toFile())
          : null);
    } catch (IOException unreadable) {
      return SvdInitializer.DECOMPOSITION_DEFAULT; // settling the folder reports it
    }
  }

  /** The run's spec with the default decomposition (a new folder's). */
  public static RunSpec spec(Figure7Config c, Figure7Config.Run run, int threads) {
    return spec(c, run, threads, SvdInitializer.DECOMPOSITION_DEFAULT);
  }

  /** The run's spec: as the seed trains, with repeat r seeded by seed + r. */
  public static RunSpec spec(Figure7Config c, Figure7Config.Run run, int threads,
      SvdInitializer.Decomposition decomposition) {
    return new RunSpec(c.source(run),
        new TrainConfig(c.epochs(), c.learningRate(), c.batchSize(), c.seed() + run.repeat()),
        Initializers.configured(run.init(), decomposition, c.lsuv()), c.trainLimit(),
        c.initBatch(), threads, c.initPool());
  }

  /**
   * The grid's deepest network: {@code file} (the grid's file's), or the seed's AlexNet at the
   * grid's greatest depth, with batch norm if {@code batchNorm}.
   */
  public static Network deepest(Figure7Config c, Network file, boolean batchNorm) {
    return file != null ? file : AlexNet.of(new ModelConfig(c.layers().stream()
        .max(Integer::compare).orElse(0), c.level(), batchNorm, ModelConfig.DROPOUT_DEFAULT,
        ModelConfig.CLASSES_DEFAULT));
  }

  /**
   * Room a shard of the grid needs in its folder: its run files, each depth's figures, and a
   * checkpoint of the deepest model with its temporary copy (when checkpoints are on).
   */
  public static long bytesNeeded(Figure7Config c, Network file, Shard part,
      int checkpointEvery) {
    long checkpoints = checkpointEvery == 0 ? 0
        : 2 * RunCheckpoint.bytes(deepest(c, file, c.batchNormBaseline()));
    return part.of(c.runs()).size() * RUN_FILE_BYTES + c.layers().size() * FIGURE_BYTES
        + checkpoints;
  }

  /** The network a run trains: the seed's AlexNet of its spec, or the grid's file's. */
  private static Network architecture(RunSpec spec, Network file) {
    return spec.source() instanceof ModelSource.Seed seed ? seed.network() : file;
  }

  /**
   * Trains this shard's unfinished runs, each written to {@code runs/NAME.json} when done, under
   * the folder's lock (see {@link GridLock}); settles the folder's settings first.
   *
   * @return the shard's results, finished before or now, and the runs whose init failed
   * @throws ExperimentException if another process holds these runs, or the folder holds other
   *     settings or runs on other images
   */
  public static Outcome run(Figure7Config config, Shard shard, Path out, String dataLabel,
      Cifar10Data train, Cifar10Data test, int threads, Compute compute, int checkpointEvery,
      Listener listener)
      throws IOException, ExperimentException {
    return run(config, null, shard, out, dataLabel, train, test, threads, compute,
        checkpointEvery, listener);
  }

  /**
   * {@link #run(Figure7Config, Shard, Path, String, Cifar10Data, Cifar10Data, int, Compute, int,
   * Listener)} of a grid whose architecture is {@code network}, read from {@code
   * config.network()}'s file; null for the seed's AlexNet. Every run starts from its init's own
   * weights, as the seed's do: the file gives the architecture, not the start.
   */
  public static Outcome run(Figure7Config config, Network network, Shard shard, Path out,
      String dataLabel, Cifar10Data train, Cifar10Data test, int threads, Compute compute,
      int checkpointEvery, Listener listener)
      throws IOException, ExperimentException {
    if ((network == null) != (config.network() == null)) {
      throw new IllegalArgumentException("a grid of a network file needs its network, and "
          + "only it");
    }
    List<Figure7Config.Run> grid = config.runs();
    List<Integer> positions = shard.of(IntStream.range(0, grid.size()).boxed().toList());
    // every architecture's layer shapes pass the gradient check before any folder or init
    for (int position : positions) {
      RunSpec spec = spec(config, grid.get(position), threads);
      ConvRoutes.forNetwork(architecture(spec, network), compute);
    }
    Files.createDirectories(out.resolve(RUNS));
    DataPrint data = DataPrint.of(train, test);
    try (GridLock lock = GridLock.acquire(out, positions,
        alone -> settle(out, config, data, alone))) {
      removeStaleTemps(out.resolve(RUNS));
      List<RunResult> results = new ArrayList<>();
      List<Figure7Config.Run> todo = new ArrayList<>();
      for (int position : positions) {
        Figure7Config.Run run = grid.get(position);
        // the lock says no one else writes this run: any temp file of it is left from a kill
        removeTemps(out.resolve(RUNS), run);
        Path file = runFile(out, run);
        RunResult done = finished(out, config, run);
        if (done != null) {
          // a kill between the run file and the checkpoint's removal leaves the checkpoint
          Files.deleteIfExists(checkpoint(out, run));
          results.add(done);
          listener.runDone(done, true);
        } else {
          if (Files.exists(file)) {
            setAside(file, listener);
          }
          todo.add(run);
        }
      }
      List<String> failures = new ArrayList<>();
      listener.gridStarted(todo.size(), config.epochs());
      for (int i = 0; i < todo.size(); i++) {
        Figure7Config.Run run = todo.get(i);
        listener.runStarted(run, i + 1, todo.size());
        RunSpec spec = spec(config, run, threads, decomposition(out));
        Network architecture = architecture(spec, network);
        Path ckpt = checkpoint(out, run);
        RunResult r;
        try {
          if (Files.exists(ckpt)) {
            String why = checkpointProblem(ckpt, run.name(), spec, data);
            if (why != null) {
              setAside(ckpt, why, listener);
            }
          }
          TrainingRun.Checkpoints checkpoints = new TrainingRun.Checkpoints(ckpt, checkpointEvery);
          try {
            r = TrainingRun.execute(run.name(), spec, architecture, compute, dataLabel, train,
                test, null, checkpoints, TrainingRun.Saving.NONE, listener);
          } catch (ExperimentException e) {
            // its values are corrupt (the header was fine): start the run again
            setAside(ckpt, e.getMessage(), listener);
            r = TrainingRun.execute(run.name(), spec, architecture, compute, dataLabel, train,
                test, null, checkpoints, TrainingRun.Saving.NONE, listener);
          }
        } catch (InitException e) {
          // one degenerate init must not cost the other runs of the grid
          failures.add(run.name() + ": " + e.getMessage());
          listener.runFailed(run, e.getMessage());
          continue;
        }
        ResultStore.write(runFile(out, run), r);
        Files.deleteIfExists(ckpt); // only once the result is kept
        results.add(r);
        listener.runDone(r, false);
      }
      return new Outcome(results, failures);
    }
  }

  /** The checkpoint of a run in progress: {@code runs/NAME.ckpt}. */
  public static Path checkpoint(Path out, Figure7Config.Run run) {
    return out.resolve(RUNS).resolve(run.name() + ".ckpt");
  }

  /** Why a run's checkpoint cannot be continued, or null when it can. */
  private static String checkpointProblem(Path ckpt, String name, RunSpec spec, DataPrint data) {
    try {
      String why = RunCheckpoint.header(ckpt).mismatch(name, spec, data,
          TrainingRun.XAVIER_START);
      return why == null ? null : ckpt + ": a checkpoint of " + why;
    } catch (ExperimentException e) {
      return e.getMessage();
    }
  }

  /**
   * Moves a run file that cannot be kept (unreadable, partial, or of another spec) to
   * {@code NAME.json.rejected-TIME}, so its bytes stay for a look and the run is redone.
   */
  private static void setAside(Path file, Listener listener) throws IOException {
    String why;
    try {
      ResultStore.readRun(file);
      why = file + ": a run of other settings, or one that stopped early";
    } catch (ExperimentException e) {
      why = e.getMessage();
    }
    setAside(file, why, listener);
  }

  /** Moves {@code file} to {@code NAME.rejected-TIME}, never over an earlier one. */
  private static void setAside(Path file, String why, Listener listener) throws IOException {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    for (int k = 0; ; k++) {
      Path moved = file.resolveSibling(file.getFileName() + ".rejected-" + stamp
          + (k == 0 ? "" : "-" + k));
      try {
        Files.move(file, moved); // never over an earlier rejected file
        listener.runSetAside(file, moved, why);
        return;
      } catch (FileAlreadyExistsException e) {
        // the same second: take the next suffix
      }
    }
  }

  /** The temporary files of a kill in the middle of writing the run's result or checkpoint. */
  private static void removeTemps(Path dir, Figure7Config.Run run) throws IOException {
    String prefix = "." + run.name() + ".";
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> p.getFileName().toString()
        .startsWith(prefix) && p.getFileName().toString().endsWith(".tmp"))) {
      for (Path p : s) {
        Files.deleteIfExists(p);
      }
    }
  }

  public static Path runFile(Path out, Figure7Config.Run run) {
    return out.resolve(RUNS).resolve(run.name() + ".json");
  }

  /** The run's result if its file exists, parses and belongs to these settings; else null. */
  static RunResult finished(Path out, Figure7Config config, Figure7Config.Run run) {
    Path file = runFile(out, run);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      RunResult r = ResultStore.readRun(file);
      RunSpec expected = spec(config, run, r.spec().threads(), decomposition(out));
      boolean complete = r.diverged() || r.epochs().size() == config.epochs();
      return Objects.equals(r.spec(), expected) && complete ? r : null;
    } catch (ExperimentException | RuntimeException e) {
      return null; // unreadable: redo it
    }
  }

  /** Every readable run file in the folder that belongs to the grid, in grid order. */
  public static List<RunResult> collect(Path out, Figure7Config config) {
    List<RunResult> all = new ArrayList<>();
    for (Figure7Config.Run run : config.runs()) {
      RunResult r = finished(out, config, run);
      if (r != null) {
        all.add(r);
      }
    }
    return all;
  }

  /** The summary of the run files in {@code out}, without writing anything. */
  public static GridSummary summary(Path out, Stats.Band band)
      throws IOException, ExperimentException {
    Figure7Config config = settings(out);
    return GridSummary.of(config, collect(out, config), band);
  }

  /** Rebuilds {@code summary.json} from the run files. */
  public static GridSummary summarize(Path out, Stats.Band band)
      throws IOException, ExperimentException {
    GridSummary summary = summary(out, band);
    ResultStore.write(out.resolve(SUMMARY_FILE), summary);
    return summary;
  }

  /**
   * The losses of the folder's finished runs, by depth and curve: losses[run][epoch]; diverged
   * runs are left out.
   */
  public static Map<Integer, Map<String, double[][]>> losses(Path out)
      throws ExperimentException {
    Figure7Config config = settings(out);
    return GridSummary.losses(config, collect(out, config));
  }

  private static void removeStaleTemps(Path dir) throws IOException {
    Instant limit = Instant.now().minus(STALE_TMP);
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.tmp")) {
      for (Path p : s) {
        FileTime t = Files.getLastModifiedTime(p);
        if (t.toInstant().isBefore(limit)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
