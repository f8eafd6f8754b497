package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.model.Layer;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;
import org.orthoinit.util.AtomicFiles;
import org.orthoinit.util.Digests;
import org.orthoinit.util.Text;

/**
 * What a run needs to continue exactly where it stopped, written after its init and after every
 * checkpointed epoch: every variable of the model, the epochs and orthogonality probes so far,
 * the init's report. The shuffle of epoch e and the dropout masks of each step are functions of
 * the run's seed, e and the step, so nothing else is needed for a resumed run to compute what an
 * uninterrupted one does, bit for bit (at the same thread count).
 *
 * <p>One file, written atomically: a magic line, the header's length (8 bytes, little-endian),
 * the header as JSON, then the variables' float32 values (little-endian) in the header's order;
 * the header holds the SHA-256 of those values.
 */
public final class RunCheckpoint {

  /** The first bytes of every checkpoint file. */
  static final byte[] MAGIC = "orthoinit checkpoint\n".getBytes(StandardCharsets.US_ASCII);
  /** The layout this class writes and reads. */
  public static final int FORMAT = 2;
  /** A header beyond this is not one of ours (a few KB per 100 epochs). */
  private static final long MAX_HEADER_BYTES = 64L << 20;

  /** One variable's place in the file. */
  public record Variable(String name, long size) {}

  /**
   * The header.
   *
   * @param epochs done so far, from 1; empty right after the init
   * @param orthogonality the probe's measurements so far, from epoch 0
   * @param start the weights the run started from: {@code xavier}, or {@code weights
   *     sha256:HEX} of weights given (train --weights)
   * @param host where the run was when it wrote this, and {@code pid} its process
   * @param sha256 of the values (the header is JSON, read field by field)
   */
  public record Header(int format, String run, RunSpec spec, Figure7.DataPrint data, String start,
      List<RunResult.Epoch> epochs, List<RunResult.Orthogonality> orthogonality,
      @JsonInclude(JsonInclude.Include.NON_NULL) @Initializers.ReportJson
      Initializer.Report report, double initSeconds,
      String started, String host, long pid, String written, List<Variable> variables,
      String sha256) {

    /** The last complete epoch, 0 right after the init. */
    public int epoch() {
      return epochs.size();
    }

    /**
     * Why this checkpoint cannot continue {@code run} with {@code spec} on {@code data}, or null
     * when it can. Threads are not compared: they change only the order of float sums.
     */
    public String mismatch(String name, RunSpec theirs, Figure7.DataPrint images,
        String startedFrom) {
      if (!run.equals(name)) {
        return "run " + run + ", not " + name;
      }
      if (!spec.withThreads(theirs.threads()).equals(theirs)) {
        return "other settings: " + spec + " in the checkpoint, " + theirs + " here";
      }
      if (data == null || !Objects.equals(data.train(), images.train())) {
        return "other training images: " + (data == null ? "none recorded" : data.train())
            + " in the checkpoint, " + images.train() + " here";
      }
      if (!Objects.equals(data.test(), images.test())) {
        return "other test images: " + data.test() + " in the checkpoint, " + images.test()
            + " here";
      }
      if (!Objects.equals(start, startedFrom)) {
        return "a run started from other weights: " + start + " in the checkpoint, "
            + startedFrom + " here";
      }
      return null;
    }
  }

  /** A checkpoint as read: its header and every variable's values. */
  public record State(Header header, Map<String, float[]> variables) {}

  private RunCheckpoint() {}

  /** Roughly the bytes of a checkpoint of {@code a}: its variables and a header. */
  public static long bytes(Network a) {
    long floats = a.parameters().stream().mapToLong(Parameter::size).sum()
        + 2L * a.batchNorms().stream().mapToLong(Layer.BatchNorm::channels)
        .sum();
    return floats * Float.BYTES + (1 << 20);
  }

  /** The checkpoint file of a run whose result goes to {@code runFile} ({@code NAME.json}). */
  public static Path beside(Path runFile) {
    String name = runFile.getFileName().toString();
    String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
    return runFile.resolveSibling(stem + ".ckpt");
  }

  /**
   * Writes {@code variables} (in their order) and the header's record of the run to {@code file},
   * atomically: a kill leaves the previous checkpoint, or none.
   */
  public static void write(Path file, Header header, Map<String, float[]> variables)
      throws IOException {
    List<Variable> index = new ArrayList<>();
    MessageDigest sha = Digests.sha256();
    for (Map.Entry<String, float[]> v : variables.entrySet()) {
      index.add(new Variable(v.getKey(), v.getValue().length));
      sha.update(bytes(v.getValue()));
    }
    Header h = new Header(FORMAT, header.run(), header.spec(), header.data(), header.start(),
        header.epochs(),
        header.orthogonality(), header.report(), header.initSeconds(),
        header.started(), host(), ProcessHandle.current().pid(), Instant.now().toString(), index,
        HexFormat.of().formatHex(sha.digest()));
    byte[] json = ResultStore.JSON.writeValueAsBytes(h);
    AtomicFiles.write(file, ch -> {
      ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 8).order(ByteOrder.LITTLE_ENDIAN);
      head.put(MAGIC).putLong(json.length).flip();
      writeFully(ch, head);
      writeFully(ch, ByteBuffer.wrap(json));
      for (float[] v : variables.values()) {
        writeFully(ch, ByteBuffer.wrap(bytes(v)));
      }
    });
  }

  /**
   * Deletes what a kill in the middle of writing {@code file} left: its temporary files. Only for
   * a caller that knows no other process writes this checkpoint.
   */
  public static void removeTemporaries(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (var s = Files.newDirectoryStream(dir, p -> AtomicFiles.isTemporaryOf(
        p.getFileName().toString(), file.getFileName().toString()))) {
      for (Path p : s) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Only the header: what a run has done, for {@code status}, without the variables. */
  public static Header header(Path file) throws ExperimentException {
    try (InputStream in = Files.newInputStream(file)) {
      return readHeader(file, in);
    } catch (IOException e) {
      throw new ExperimentException(file + ": unreadable checkpoint ("
          + Text.firstLine(e) + ")");
    }
  }

  /**
   * Reads and verifies a checkpoint: its magic, format, header, and the SHA-256 of its values.
   *
   * @throws ExperimentException naming the file and the fault, in one line
   */
  public static State read(Path file) throws ExperimentException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
      Header h = readHeader(file, in);
      long expected = 0;
      for (Variable v : h.variables()) {
        if (v.size() < 0 || v.size() > Integer.MAX_VALUE) {
          throw new ExperimentException(file + ": variable " + v.name() + " has " + v.size()
              + " values; not a checkpoint of ours");
        }
        expected += v.size() * Float.BYTES;
      }
      long left = ch.size() - ch.position();
      if (left != expected) {
        throw new ExperimentException(file + ": holds " + left + " bytes of values, its header "
            + "promises " + expected + "; the file is truncated or corrupt");
      }
      MessageDigest sha = Digests.sha256();
      Map<String, float[]> values = new LinkedHashMap<>();
      for (Variable v : h.variables()) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(v.size() * Float.BYTES));
        while (b.hasRemaining()) {
          if (ch.read(b) < 0) {
            throw new ExperimentException(file + ": ends inside " + v.name());
          }
        }
        sha.update(b.array());
        float[] f = new float[(int) v.size()];
        b.flip();
        b.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        values.put(v.name(), f);
      }
      String actual = HexFormat.of().formatHex(sha.digest());
      if (!actual.equals(h.sha256())) {
        throw new ExperimentException(file + ": its values' SHA-256 is " + actual + ", the header "
            + "says " + h.sha256() + "; the file is corrupt");
      }
      return new State(h, values);
    } catch (IOException e) {
      throw new ExperimentException(file + ": unreadable checkpoint ("
          + Text.firstLine(e) + ")");
    }
  }

  private static Header readHeader(Path file, InputStream in)
      throws IOException, ExperimentException {
    byte[] magic = in.readNBytes(MAGIC.length);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new ExperimentException(file + ": not an orthoinit checkpoint (it does not start "
          + "with '" + new String(MAGIC, StandardCharsets.US_ASCII).strip() + "')");
    }
    byte[] len = in.readNBytes(8);
    if (len.length < 8) {
      throw new ExperimentException(file + ": ends inside its header's length");
    }
    long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (n < 2 || n > MAX_HEADER_BYTES) {
      throw new ExperimentException(file + ": a header of " + n + " bytes; the file is corrupt");
    }
    byte[] json = in.readNBytes((int) n);
    if (json.length < n) {
      throw new ExperimentException(file + ": ends inside its header");
    }
    Header h;
    try {
      h = ResultStore.JSON.readValue(json, Header.class);
    } catch (IOException e) {
      throw new ExperimentException(file + ": unreadable header (" + Text.firstLine(e)
          + ")");
    }
    if (h.format() != FORMAT || h.run() == null || h.spec() == null || h.start() == null
        || h.epochs() == null
        || h.orthogonality() == null || h.variables() == null || h.sha256() == null) {
      throw new ExperimentException(file + ": a checkpoint of format " + h.format()
          + " or an incomplete header; this version reads format " + FORMAT);
    }
    return h;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static byte[] bytes(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  /** This machine's name, for {@code status} on a cluster. */
  static String host() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
