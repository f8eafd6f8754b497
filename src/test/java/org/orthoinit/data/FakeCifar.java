package org.orthoinit.data;

import static org.orthoinit.data.Cifar10.CHANNEL_BYTES;
import static org.orthoinit.data.Cifar10.IMAGE_SIZE;
import static org.orthoinit.data.Cifar10.LABEL_BYTES;
import static org.orthoinit.data.Cifar10.RECORD_BYTES;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Tiny CIFAR-10 batch files and archives with known contents, for tests. */
final class FakeCifar {

  /** Distinct multipliers so that records, channels, rows and columns give different bytes. */
  private static final int RECORD_STEP = 7;
  private static final int CHANNEL_STEP = 31;
  private static final int ROW_STEP = 5;
  private static final int COLUMN_STEP = 3;
  private static final int BYTE_MASK = 0xFF;

  private FakeCifar() {
  }

  /** The pixel byte (0..255) that record r of a fake batch holds at channel c, row h, column w. */
  static int pixel(int r, int c, int h, int w) {
    return (r * RECORD_STEP + c * CHANNEL_STEP + h * ROW_STEP + w * COLUMN_STEP) & BYTE_MASK;
  }

  /** Offset of pixel (c, h, w) in a CHW image. */
  static int chw(int c, int h, int w) {
    return c * CHANNEL_BYTES + h * IMAGE_SIZE + w;
  }

  /** Batch file bytes: one record per label, record k numbered firstRecord + k for {@link #pixel}. */
  static byte[] batch(int firstRecord, int... labels) {
    byte[] bytes = new byte[labels.length * RECORD_BYTES];
    for (int k = 0; k < labels.length; k++) {
      int base = k * RECORD_BYTES;
      bytes[base] = (byte) labels[k];
      for (int c = 0; c < Cifar10.CHANNELS; c++) {
        for (int h = 0; h < IMAGE_SIZE; h++) {
          for (int w = 0; w < IMAGE_SIZE; w++) {
            bytes[base + LABEL_BYTES + chw(c, h, w)] = (byte) pixel(firstRecord + k, c, h, w);
          }
        }
      }
    }
    return bytes;
  }

  static Path write(Path file, byte[] bytes) {
    try {
      Files.createDirectories(file.getParent());
      return Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A .tar.gz holding the given entries (name to content) in order. */
  static byte[] tarGz(Map<String, byte[]> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(bytes);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        TarArchiveEntry tarEntry = new TarArchiveEntry(entry.getKey());
        tarEntry.setSize(entry.getValue().length);
        tar.putArchiveEntry(tarEntry);
        tar.write(entry.getValue());
        tar.closeArchiveEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static String md5(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
