package org.orthoinit.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.orthoinit.data.ArchiveSpec;
import org.orthoinit.data.Cifar10;
import org.orthoinit.data.Cifar10Downloader;
import org.orthoinit.data.DataException;
import picocli.CommandLine.Option;

/**
 * {@code --data} and {@code --no-download}: where CIFAR-10 is. Without --data, the cache is used,
 * and downloaded into on first use, as torchvision's {@code download=True} does.
 */
final class DataOptions {

  /** The archive (163 MB) and the batches unpacked from it (185 MB), with room to spare. */
  static final long ARCHIVE_AND_BATCHES = 400L << 20;

  /**
   * Where the first use downloads from and what it expects: the official archive, or the
   * mirror $ORTHOINIT_DATA_URL names. A field so that tests can serve an archive of their own.
   */
  static Source source = new Source(null, url(), ArchiveSpec.CIFAR10);

  /**
   * A download's origin and target.
   *
   * @param cache the folder; null = {@link #defaultCache()}
   */
  record Source(Path cache, URI url, ArchiveSpec archive) {
    Path folder() {
      return cache != null ? cache : defaultCache();
    }
  }

  /** Where {@code download} puts the data set and other commands look for it by default. */
  static Path defaultCache() {
    String env = System.getenv("ORTHOINIT_DATA");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
        : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("orthoinit").resolve("cifar10");
  }

  /**
   * The archive's URL: $ORTHOINIT_DATA_URL (a mirror of the same file) or the official one; null
   * when the variable holds no URL (said when a download is needed, not before).
   */
  static URI url() {
    String env = System.getenv("ORTHOINIT_DATA_URL");
    if (env == null || env.isBlank()) {
      return Cifar10.URL;
    }
    try {
      return URI.create(env.strip());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Option(names = "--data", paramLabel = "DIR",
      description = "CIFAR-10 in the binary format: a folder with data_batch_N.bin and "
          + "test_batch.bin, or one holding cifar-10-batches-bin/ (default: $${ORTHOINIT_DATA} or "
          + "~/.cache/orthoinit/cifar10, downloaded into on first use).")
  Path data;

  @Option(names = "--no-download",
      description = "Without --data and without CIFAR-10 in the cache, stop with an error "
          + "instead of downloading it (163 MB, MD5-checked) into the cache.")
  boolean noDownload;

  /** The folder given, or the cache as it is: no download. */
  Path dir() {
    return data != null ? data : source.folder();
  }

  /** Whether CIFAR-10 is at hand without a download: --data, or batch files in the cache. */
  boolean present() {
    return data != null || holdsBatches(source.folder());
  }

  /**
   * The data folder: --data as given (its files are checked when read), else the cache, into
   * which CIFAR-10 is downloaded first when it holds no batch files, saying so on stderr.
   *
   * @throws DataException with --no-download and nothing in the cache, or when the download
   *     fails: naming the URL, the cache and --data
   */
  Path resolve(PrintWriter err) throws DataException, IOException {
    if (present()) {
      return dir();
    }
    Path cache = source.folder();
    if (noDownload) {
      throw new DataException(cache, "holds no CIFAR-10 and --no-download was given; pass "
          + "--data DIR, run 'orthoinit download', or leave out --no-download");
    }
    Optional<Path> ready = Cifar10Downloader.prepared(cache, source.archive());
    if (ready.isPresent()) {
      return ready.get();
    }
    if (source.url() == null) {
      throw new DataException(cache, "holds no CIFAR-10, and $ORTHOINIT_DATA_URL ('"
          + System.getenv("ORTHOINIT_DATA_URL") + "') is not a URL; fix it, unset it, or pass "
          + "--data DIR");
    }
    Checks.writableFolder(cache, "the CIFAR-10 cache (or pass --data DIR)");
    Checks.freeSpace(cache, ARCHIVE_AND_BATCHES, "the CIFAR-10 cache (or pass --data DIR)");
    err.println("orthoinit: CIFAR-10 is not in " + cache + ": downloading " + source.url()
        + " (163 MB, MD5-checked; --data DIR uses a copy of your own)");
    err.flush();
    try (Progress.Download bar = new Progress.Download(err)) {
      return new Cifar10Downloader().prepare(source.url(), cache, source.archive(), bar);
    }
  }

  /** A folder Cifar10.load reads: batch files in it, or in its cifar-10-batches-bin/. */
  static boolean holdsBatches(Path dir) {
    return hasBatchFile(dir) || hasBatchFile(dir.resolve(Cifar10.BATCHES_FOLDER));
  }

  private static boolean hasBatchFile(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().matches("data_batch_\\d+\\.bin"));
    } catch (IOException e) {
      return false; // unreadable: a download will say so
    }
  }
}
