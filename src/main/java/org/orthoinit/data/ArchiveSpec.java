package org.orthoinit.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Cifar10Downloader} fetches and how it knows the result is complete: the archive's
 * file name and MD5, the folder it unpacks to, and the files (with their exact sizes) that
 * folder must hold.
 *
 * <p>The required files are part of the spec, rather than read from the archive, so that an
 * extracted folder can be recognised as complete without the archive (which the user may have
 * deleted to save space) and without network. {@link #CIFAR10} is the official archive; tests
 * build a spec for a tiny archive of their own.
 *
 * @param archiveName file name of the archive in the cache folder, e.g. {@code cifar-10-binary.tar.gz}
 * @param md5 expected MD5 of the archive, 32 hex digits (stored lower-case)
 * @param folderName the top-level folder inside the archive, e.g. {@code cifar-10-batches-bin}
 * @param files file name inside that folder to exact size in bytes; a folder holding all of
 *     them with these sizes counts as complete (other files are allowed)
 */
public record ArchiveSpec(String archiveName, String md5, String folderName, Map<String, Long> files) {

  /** Hex digits of an MD5 digest. */
  private static final int MD5_HEX_DIGITS = 32;

  /** The official CIFAR-10 binary archive: 5 training batches and the test batch, 30,730,000 bytes each. */
  public static final ArchiveSpec CIFAR10 = new ArchiveSpec(
      Cifar10.ARCHIVE_NAME, Cifar10.ARCHIVE_MD5, Cifar10.BATCHES_FOLDER, cifar10Files());

  /**
   * Validates and copies the arguments.
   *
   * @throws IllegalArgumentException if a name is not a plain file name, the MD5 is not 32 hex
   *     digits, files is empty or a size is negative
   */
  public ArchiveSpec {
    archiveName = plainName(archiveName, "archiveName");
    folderName = plainName(folderName, "folderName");
    Objects.requireNonNull(md5, "md5");
    if (md5.length() != MD5_HEX_DIGITS || !md5.chars().allMatch(HexFormat::isHexDigit)) {
      throw new IllegalArgumentException("md5 '" + md5 + "' is not " + MD5_HEX_DIGITS + " hex digits");
    }
    md5 = md5.toLowerCase(Locale.ROOT);
    Objects.requireNonNull(files, "files");
    if (files.isEmpty()) {
      throw new IllegalArgumentException("files is empty: name at least one file the archive must provide");
    }
    // keep the caller's order so that faults name the first missing file deterministically
    Map<String, Long> copy = new LinkedHashMap<>();
    for (Map.Entry<String, Long> entry : files.entrySet()) {
      long size = Objects.requireNonNull(entry.getValue(), "size of " + entry.getKey());
      if (size < 0) {
        throw new IllegalArgumentException("size of " + entry.getKey() + " is negative: " + size);
      }
      copy.put(plainName(entry.getKey(), "file name"), size);
    }
    files = Collections.unmodifiableMap(copy);
  }

  /**
   * Tells whether a folder holds every required file with its exact size.
   *
   * @param folder the extracted folder
   * @return empty if complete, else the first fault, e.g. {@code "data_batch_3.bin is missing"}
   */
  public Optional<String> problemWith(Path folder) {
    if (!Files.isDirectory(folder)) {
      return Optional.of("is not a folder");
    }
    for (Map.Entry<String, Long> entry : files.entrySet()) {
      Path file = folder.resolve(entry.getKey());
      if (!Files.isRegularFile(file)) {
        return Optional.of(entry.getKey() + " is missing");
      }
      long size;
      try {
        size = Files.size(file);
      } catch (IOException e) {
        return Optional.of(entry.getKey() + " cannot be read (" + DataException.describe(e) + ")");
      }
      if (size != entry.getValue()) {
        return Optional.of(entry.getKey() + " has " + size + " bytes, expected " + entry.getValue());
      }
    }
    return Optional.empty();
  }

  private static Map<String, Long> cifar10Files() {
    Map<String, Long> files = new LinkedHashMap<>();
    for (String name : Cifar10.TRAIN_FILES) {
      files.put(name, Cifar10.BATCH_FILE_BYTES);
    }
    files.put(Cifar10.TEST_FILE, Cifar10.BATCH_FILE_BYTES);
    return files;
  }

  /** A file name without folders, so that it cannot point outside the cache folder. */
  private static String plainName(String name, String what) {
    Objects.requireNonNull(name, what);
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\")) {
      throw new IllegalArgumentException(what + " '" + name + "' is not a plain file name");
    }
    return name;
  }
}
