package org.orthoinit.data;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The CIFAR-10 data set in its official binary format: constants and loading.
 *
 * <p>A batch file is a sequence of {@value #RECORD_BYTES}-byte records: one label byte
 * (0..{@code CLASSES-1}) then the image as {@value #IMAGE_BYTES} pixel bytes in CHW order
 * (all {@value #CHANNEL_BYTES} red bytes, then green, then blue; each channel row by row,
 * top to bottom, left to right).
 */
public final class Cifar10 {

  /** Where the official archive is published. */
  public static final URI URL = URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
  /** File name of the official archive. */
  public static final String ARCHIVE_NAME = "cifar-10-binary.tar.gz";
  /** MD5 of the official archive, lower-case hex, as published on the CIFAR page. */
  public static final String ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
  /** The folder the archive unpacks to, holding the batch files. */
  public static final String BATCHES_FOLDER = "cifar-10-batches-bin";
  /** The training batches, in the order they are read (50,000 records in all). */
  public static final List<String> TRAIN_FILES = List.of(
      "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
  /** The test batch (10,000 records). */
  public static final String TEST_FILE = "test_batch.bin";
  /** The class names file of the archive (not needed to load). */
  public static final String META_FILE = "batches.meta.txt";

  /** Height and width of an image, in pixels. */
  public static final int IMAGE_SIZE = 32;
  /** Colour channels of an image: red, green, blue. */
  public static final int CHANNELS = 3;
  /** Number of classes; labels are 0..CLASSES-1. */
  public static final int CLASSES = 10;
  /** Bytes of the label at the start of a record. */
  public static final int LABEL_BYTES = 1;
  /** Bytes of one channel of an image: IMAGE_SIZE x IMAGE_SIZE. */
  public static final int CHANNEL_BYTES = IMAGE_SIZE * IMAGE_SIZE;
  /** Bytes (and float values) of one image: CHANNELS x IMAGE_SIZE x IMAGE_SIZE = 3072. */
  public static final int IMAGE_BYTES = CHANNELS * CHANNEL_BYTES;
  /** Bytes of one record: label then image = 3073. */
  public static final int RECORD_BYTES = LABEL_BYTES + IMAGE_BYTES;
  /** Records in each official batch file. */
  public static final int RECORDS_PER_BATCH = 10_000;
  /** Size of each official batch file: 30,730,000 bytes. */
  public static final long BATCH_FILE_BYTES = (long) RECORDS_PER_BATCH * RECORD_BYTES;
  /** Class names, indexed by label. */
  public static final List<String> CLASS_NAMES = List.of(
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  /** Channel indices in CHW and NHWC order. */
  public static final int RED = 0;
  /** Channel index of green. */
  public static final int GREEN = 1;
  /** Channel index of blue. */
  public static final int BLUE = 2;

  /** Advice appended to "data not found" faults. */
  private static final String HOW_TO_GET = "run `orthoinit download` or pass --data DIR";
  /** Largest Java array, so the largest set of records one load can hold. */
  private static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

  /** Which part of the data set to load. */
  public enum Split {
    /** The training batches data_batch_1.bin .. data_batch_5.bin that are present. */
    TRAIN,
    /** The test batch test_batch.bin. */
    TEST
  }

  private Cifar10() {
  }

  /**
   * Loads one split into memory as raw bytes (the full training set takes 153.65 MB).
   *
   * <p>{@code dir} is either the folder holding the batch files or a folder that contains
   * {@value #BATCHES_FOLDER}/: the batch files are looked up in {@code dir} itself when it holds
   * any of them, otherwise in {@code dir/}{@value #BATCHES_FOLDER}. {@link Split#TRAIN} reads
   * every {@code data_batch_N.bin} present, in order of N, and needs at least one (so a
   * folder with only {@code data_batch_1.bin} loads 10,000 training records);
   * {@link Split#TEST} reads {@value #TEST_FILE}.
   *
   * @param dir the data folder
   * @param split which split to load
   * @return the records of all files, in file order
   * @throws DataException if the folder is missing or unreadable, a required file is missing,
   *     a file's size is not a non-zero multiple of {@value #RECORD_BYTES}, or a label is out
   *     of range (the record index in the message counts from 0 within that file)
   */
  public static Cifar10Data load(Path dir, Split split) throws DataException {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(split, "split");
    Path folder = batchesFolder(dir);
    List<Path> files = new ArrayList<>();
    if (split == Split.TRAIN) {
      for (String name : TRAIN_FILES) {
        Path file = folder.resolve(name);
        if (Files.exists(file)) {
          files.add(file);
        }
      }
      if (files.isEmpty()) {
        throw new DataException(folder, "no CIFAR-10 training batch (" + TRAIN_FILES.get(0) + " .. "
            + TRAIN_FILES.get(TRAIN_FILES.size() - 1) + "); " + HOW_TO_GET);
      }
    } else {
      Path file = folder.resolve(TEST_FILE);
      if (!Files.exists(file)) {
        throw new DataException(folder, "no CIFAR-10 test batch (" + TEST_FILE + "); " + HOW_TO_GET);
      }
      files.add(file);
    }
    return read(files);
  }

  /** The folder that holds the batch files: dir itself, or dir/cifar-10-batches-bin. */
  private static Path batchesFolder(Path dir) throws DataException {
    checkFolder(dir);
    if (holdsAnyBatch(dir)) {
      return dir;
    }
    Path nested = dir.resolve(BATCHES_FOLDER);
    if (Files.isDirectory(nested)) {
      checkFolder(nested);
      return nested;
    }
    return dir;
  }

  private static boolean holdsAnyBatch(Path folder) {
    if (Files.exists(folder.resolve(TEST_FILE))) {
      return true;
    }
    for (String name : TRAIN_FILES) {
      if (Files.exists(folder.resolve(name))) {
        return true;
      }
    }
    return false;
  }

  private static void checkFolder(Path folder) throws DataException {
    if (!Files.exists(folder)) {
      throw new DataException(folder, "folder does not exist; " + HOW_TO_GET);
    }
    if (!Files.isDirectory(folder)) {
      throw new DataException(folder, "is not a folder; pass the folder holding the CIFAR-10 batch files");
    }
    // listing a folder needs both read and search (execute) permission
    if (!Files.isReadable(folder) || !Files.isExecutable(folder)) {
      throw new DataException(folder, "folder is not readable; fix its permissions or pass --data DIR");
    }
  }

  /** Reads the files, all validated first, into one array of records (count x 3073 bytes). */
  private static Cifar10Data read(List<Path> files) throws DataException {
    long[] sizes = new long[files.size()];
    long total = 0;
    for (int f = 0; f < files.size(); f++) {
      Path file = files.get(f);
      sizes[f] = checkedSize(file);
      total += sizes[f];
    }
    if (total > MAX_ARRAY_BYTES) {
      throw new DataException(files.get(0).getParent(), "the batch files hold " + total
          + " bytes, more than one Java array can hold; these are not the CIFAR-10 batches");
    }
    byte[] records = new byte[(int) total];
    int position = 0;
    for (int f = 0; f < files.size(); f++) {
      Path file = files.get(f);
      int length = (int) sizes[f];
      readFully(file, records, position, length);
      checkLabels(file, records, position, length / RECORD_BYTES);
      position += length;
    }
    return new Cifar10Data(records, null, (int) (total / RECORD_BYTES));
  }

  private static long checkedSize(Path file) throws DataException {
    if (!Files.isRegularFile(file)) {
      throw new DataException(file, "is not a regular file");
    }
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new DataException(file, "cannot read the file size", e);
    }
    if (size == 0) {
      throw new DataException(file, "file is empty, expected " + RECORD_BYTES + "-byte records");
    }
    if (size % RECORD_BYTES != 0) {
      throw new DataException(file, "size " + size + " bytes is not a multiple of the " + RECORD_BYTES
          + "-byte record; the file is truncated or not a CIFAR-10 binary batch");
    }
    return size;
  }

  /** Reads the whole file with one channel into records[position, position + length). */
  private static void readFully(Path file, byte[] records, int position, int length) throws DataException {
    ByteBuffer buffer = ByteBuffer.wrap(records, position, length);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      while (buffer.hasRemaining()) {
        if (channel.read(buffer) < 0) {
          throw new DataException(file, "file ended after " + (length - buffer.remaining()) + " of "
              + length + " bytes; it changed while being read");
        }
      }
    } catch (IOException e) {
      throw new DataException(file, "cannot read the file", e);
    }
  }

  private static void checkLabels(Path file, byte[] records, int position, int count) throws DataException {
    for (int r = 0; r < count; r++) {
      int label = records[position + r * RECORD_BYTES] & 0xFF;
      if (label >= CLASSES) {
        throw new DataException(file, "record " + r + " has label " + label + ", expected 0.."
            + (CLASSES - 1) + "; is this a CIFAR-10 batch?");
      }
    }
  }
}
