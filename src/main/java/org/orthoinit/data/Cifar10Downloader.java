package org.orthoinit.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.orthoinit.util.FileTrees;

/**
 * Puts the CIFAR-10 batch files into a cache folder: downloads the official archive, checks its
 * MD5 and extracts it, doing only the steps still needed.
 *
 * <p>{@link #prepare} returns {@code cacheDir/cifar-10-batches-bin}, ready for
 * {@link Cifar10#load}. Every step writes to a temporary name inside {@code cacheDir} and
 * renames it into place only when complete and verified, so a failure or a kill never leaves a
 * file or folder under the final name that is partial, and the temporaries of a failed call are
 * deleted before it returns.
 */
public final class Cifar10Downloader {

  /** Milliseconds to wait for a connection. */
  private static final int CONNECT_TIMEOUT_MILLIS = 30_000;
  /** Milliseconds a read may stall before the download is given up. */
  private static final int READ_TIMEOUT_MILLIS = 60_000;
  /** Bytes copied per read; also the granularity of progress events. */
  private static final int BUFFER_BYTES = 1 << 16;
  /** The only HTTP status that carries the archive. */
  private static final int HTTP_OK = 200;
  /** URI schemes that can be read. */
  private static final Set<String> SCHEMES = Set.of("http", "https", "file");
  /** Suffix of the temporary download file. */
  private static final String PART_SUFFIX = ".part";

  /** Creates a downloader. */
  public Cifar10Downloader() {
  }

  /**
   * Makes sure {@code cacheDir/cifar-10-batches-bin} holds the official CIFAR-10 batches, with
   * {@link ArchiveSpec#CIFAR10}: see {@link #prepare(URI, Path, ArchiveSpec, DownloadListener)}.
   *
   * @param source where to download the archive from, usually {@link Cifar10#URL}
   * @param cacheDir the cache folder, created if missing
   * @param listener receives download progress
   * @return the folder holding the batch files
   * @throws DataException if the download, the MD5 check or the extraction fails
   */
  public Path prepare(URI source, Path cacheDir, DownloadListener listener) throws DataException {
    return prepare(source, cacheDir, ArchiveSpec.CIFAR10, listener);
  }

  /**
   * Makes sure {@code cacheDir/<spec.folderName>} holds the files of {@code spec}:
   * <ol>
   * <li>if that folder exists and holds every file of the spec with its size, returns it at
   *     once (no network: preparing twice is a no-op);</li>
   * <li>else, unless {@code cacheDir/<spec.archiveName>} exists with the expected MD5, downloads
   *     it from {@code source} (http, https or file URI) into a temporary file, computing the
   *     MD5 while streaming, and renames it into place only if the MD5 matches;</li>
   * <li>extracts the archive into a temporary folder in {@code cacheDir}, checks it against
   *     the spec and renames it into place.</li>
   * </ol>
   *
   * @param source where to download the archive from
   * @param cacheDir the cache folder, created if missing
   * @param spec the archive's name and MD5 and the files it must yield
   * @param listener receives download progress (not called when nothing is downloaded)
   * @return the folder holding the files
   * @throws DataException if the folder exists but is incomplete, or the download, the MD5
   *     check or the extraction fails; nothing partial is left behind
   */
  public Path prepare(URI source, Path cacheDir, ArchiveSpec spec, DownloadListener listener) throws DataException {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(cacheDir, "cacheDir");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(listener, "listener");
    createFolder(cacheDir);
    Path folder = cacheDir.resolve(spec.folderName());
    if (Files.exists(folder)) {
      Optional<String> problem = spec.problemWith(folder);
      if (problem.isEmpty()) {
        return folder;
      }
      // not ours to delete: our own extraction only ever renames a complete folder here
      throw new DataException(folder, problem.get() + "; delete this folder and run again");
    }
    Path archive = cacheDir.resolve(spec.archiveName());
    if (!(Files.isRegularFile(archive) && md5(archive).equals(spec.md5()))) {
      download(source, archive, spec.md5(), listener);
    }
    return extract(archive, folder, spec);
  }

  /**
   * The folder {@link #prepare} would return without downloading anything, if {@code cacheDir}
   * already holds every file of {@code spec} with its exact size.
   */
  public static Optional<Path> prepared(Path cacheDir, ArchiveSpec spec) {
    Path folder = cacheDir.resolve(spec.folderName());
    return Files.exists(folder) && spec.problemWith(folder).isEmpty()
        ? Optional.of(folder) : Optional.empty();
  }

  private static void createFolder(Path cacheDir) throws DataException {
    if (Files.exists(cacheDir) && !Files.isDirectory(cacheDir)) {
      throw new DataException(cacheDir, "is not a folder; pass a folder for the downloaded data");
    }
    try {
      Files.createDirectories(cacheDir);
    } catch (IOException e) {
      throw new DataException(cacheDir, "cannot create the folder", e);
    }
  }

  /** Downloads source to archive via a temporary file, verifying the MD5 before the rename. */
  private static void download(URI source, Path archive, String expectedMd5, DownloadListener listener)
      throws DataException {
    String scheme = source.getScheme() == null ? "" : source.getScheme().toLowerCase(Locale.ROOT);
    if (!SCHEMES.contains(scheme)) {
      throw new DataException(source + ": cannot download, the URL must start with http:, https: or file:");
    }
    Path cacheDir = archive.getParent();
    Path part = null;
    URLConnection connection = null;
    boolean started = false;
    try {
      part = Files.createTempFile(cacheDir, archive.getFileName() + ".", PART_SUFFIX);
      connection = source.toURL().openConnection();
      connection.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
      connection.setReadTimeout(READ_TIMEOUT_MILLIS);
      // connect before announcing the transfer, so a missing file or refused connection fails first
      connection.connect();
      if (connection instanceof HttpURLConnection http) {
        int status = http.getResponseCode();
        if (status != HTTP_OK) {
          String reason = http.getResponseMessage();
          throw new DataException(source + ": HTTP " + status + (reason == null ? "" : " " + reason)
              + "; check the URL or download the archive by hand into " + cacheDir);
        }
      }
      long total = connection.getContentLengthLong();
      MessageDigest digest = newMd5();
      long received = 0;
      listener.start(total);
      started = true;
      try (InputStream in = connection.getInputStream(); OutputStream out = Files.newOutputStream(part)) {
        byte[] buffer = new byte[BUFFER_BYTES];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          digest.update(buffer, 0, n);
          out.write(buffer, 0, n);
          received += n;
          listener.advance(n);
        }
      }
      if (total >= 0 && received != total) {
        throw new DataException(source + ": download ended after " + received + " of " + total
            + " bytes; run again");
      }
      String actual = HexFormat.of().formatHex(digest.digest());
      if (!actual.equals(expectedMd5)) {
        throw new DataException(archive, "MD5 " + actual + " does not match the expected " + expectedMd5
            + "; the download is corrupt, deleted it, run again");
      }
      moveIntoPlace(part, archive);
      part = null;
    } catch (IOException e) {
      throw new DataException(source + ": download into " + cacheDir + " failed ("
          + DataException.describe(e) + "); check the network or pass --data DIR", e);
    } finally {
      if (started) {
        listener.finish();
      }
      if (connection instanceof HttpURLConnection http) {
        http.disconnect();
      }
      if (part != null) {
        deleteQuietly(part);
      }
    }
  }

  private static void moveIntoPlace(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      // same folder, so this only happens on unusual file systems; fall back to a plain move
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Extracts archive into a temporary folder, checks it against spec, renames it to folder. */
  private static Path extract(Path archive, Path folder, ArchiveSpec spec) throws DataException {
    Path cacheDir = folder.getParent();
    Path staging = null;
    try {
      staging = Files.createTempDirectory(cacheDir, spec.folderName() + ".");
      unpack(archive, staging);
      Path extracted = staging.resolve(spec.folderName());
      Optional<String> problem = spec.problemWith(extracted);
      if (problem.isPresent()) {
        throw new DataException(archive, "the extracted folder " + spec.folderName() + " "
            + problem.get() + "; this is not the expected archive, delete it and run again");
      }
      try {
        Files.move(extracted, folder, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // another process prepared the same cache meanwhile: fine if what it made is complete
        Optional<String> theirs = spec.problemWith(folder);
        if (theirs.isPresent()) {
          throw new DataException(folder, theirs.get() + "; delete this folder and run again");
        }
      }
      return folder;
    } catch (IOException e) {
      throw new DataException(archive, "cannot extract into " + cacheDir, e);
    } finally {
      if (staging != null) {
        FileTrees.deleteQuietly(staging);
      }
    }
  }

  /** Unpacks the .tar.gz archive under root, refusing entries that would land outside it. */
  private static void unpack(Path archive, Path root) throws IOException, DataException {
    try (InputStream file = new BufferedInputStream(Files.newInputStream(archive), BUFFER_BYTES);
        GzipCompressorInputStream gzip = new GzipCompressorInputStream(file);
        TarArchiveInputStream tar = new TarArchiveInputStream(gzip)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path target = root.resolve(entry.getName()).normalize();
        if (!target.startsWith(root)) {
          throw new DataException(archive, "entry " + entry.getName()
              + " points outside the extraction folder; the archive is not trustworthy, delete it");
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else if (entry.isFile()) {
          Files.createDirectories(target.getParent());
          Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
        }
        // links and special files are skipped: CIFAR-10 has none, and a link could point outside root
      }
    }
  }

  /** MD5 of a file, lower-case hex. */
  private static String md5(Path file) throws DataException {
    MessageDigest digest = newMd5();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[BUFFER_BYTES];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        digest.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new DataException(file, "cannot read the archive", e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest newMd5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      // every Java platform must provide MD5
      throw new IllegalStateException("MD5 is not available", e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // best effort during clean-up: the original fault is the one to report
    }
  }
}
