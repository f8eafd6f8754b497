package org.orthoinit.model;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.internal.c_api.TF_DeviceList;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.global.tensorflow;

/**
 * Which devices TensorFlow sees, and which one a command uses: the decision of {@code --device
 * auto|cpu|gpu} against what the build and the machine offer, with what is missing when a GPU
 * build finds no GPU.
 */
public final class Devices {

  /**
   * NVIDIA's switch, read by cuBLAS and cuDNN when they load: 0 keeps TF32 off whatever the
   * program asks. TensorFlow enables TF32 on Ampere and newer GPUs by default and offers no
   * switch through its C API, so float32 is kept exact through this (the launcher sets it).
   */
  public static final String TF32_OVERRIDE = "NVIDIA_TF32_OVERRIDE";

  /**
   * A device as TensorFlow lists it.
   *
   * @param name {@code /job:localhost/replica:0/task:0/device:GPU:0}
   * @param type CPU or GPU
   * @param memoryBytes what TensorFlow may allocate on it
   * @param computeCapability of a GPU, as nvidia-smi reports it ("8.0"); null when unknown
   */
  public record Device(String name, String type, long memoryBytes, String computeCapability) {}

  /**
   * What a command may use.
   *
   * @param gpuNatives the build has the CUDA natives
   * @param gpus the GPUs TensorFlow lists when it may use them
   * @param libraries the driver and CUDA libraries found
   * @param cudaVisibleDevices the environment's CUDA_VISIBLE_DEVICES, null when unset
   */
  public record Machine(boolean gpuNatives, List<Device> gpus, CudaLibraries libraries,
      String cudaVisibleDevices) {}

  /**
   * The decision.
   *
   * @param device CPU or GPU
   * @param warning one line for stderr, null when there is nothing to say
   */
  public record Resolution(Compute.Device device, String warning) {}

  /** {@code --device gpu} and no usable GPU; the message says what is missing. */
  public static final class Unavailable extends Exception {
    private static final long serialVersionUID = 1L;

    public Unavailable(String message) {
      super(message);
    }
  }

  private Devices() {}

  /**
   * Decides the device. auto: the GPU if TensorFlow lists one, else the CPU, with a warning when
   * the build has the GPU natives; cpu: the CPU, silently; gpu: the GPU, or {@link Unavailable}.
   */
  public static Resolution resolve(Compute.Device choice, Machine m) throws Unavailable {
    if (choice == Compute.Device.CPU) {
      return new Resolution(Compute.Device.CPU, null);
    }
    if (!m.gpuNatives()) {
      if (choice == Compute.Device.GPU) {
        throw new Unavailable("--device gpu: this build has the CPU natives; build with the GPU "
            + "ones (ORTHOINIT_PROFILE=gpu ./orthoinit ..., or mvn -Pgpu package)");
      }
      return new Resolution(Compute.Device.CPU, null);
    }
    if (!m.gpus().isEmpty()) {
      return new Resolution(Compute.Device.GPU, null);
    }
    String why = "GPU natives, but no usable GPU: " + missing(m);
    if (choice == Compute.Device.GPU) {
      throw new Unavailable("--device gpu: " + why);
    }
    return new Resolution(Compute.Device.CPU, why + "; running on the CPU");
  }

  /** What keeps a GPU build from a GPU, in one clause. */
  public static String missing(Machine m) {
    String visible = m.cudaVisibleDevices();
    if (visible != null && (visible.isBlank() || visible.strip().equals("-1"))) {
      return "no device visible through CUDA_VISIBLE_DEVICES=" + visible;
    }
    List<String> parts = new ArrayList<>();
    CudaLibraries libs = m.libraries();
    if (!libs.driverFound()) {
      parts.add("no NVIDIA driver (" + CudaLibraries.DRIVER + " not found"
          + (libs.driverVersion() == null ? "" : ", kernel module " + libs.driverVersion()) + ")");
    }
    List<String> runtime = libs.missing().stream()
        .filter(s -> !s.equals(CudaLibraries.DRIVER)).toList();
    if (!runtime.isEmpty()) {
      parts.add(String.join(", ", runtime) + " not found (TensorFlow 2.18 needs CUDA 12 and "
          + "cuDNN 9 on LD_LIBRARY_PATH or in the loader's cache)");
    }
    if (parts.isEmpty()) {
      parts.add("TensorFlow lists no GPU though the driver" + (libs.driverVersion() == null ? ""
          : " " + libs.driverVersion()) + " and the CUDA libraries were found (see its log)");
    }
    return String.join("; ", parts);
  }

  /** The devices of a session, as TensorFlow lists them. */
  public static List<Device> list(Session session) {
    TF_Session handle = handle(session);
    List<Device> out = new ArrayList<>();
    try (TF_Status status = TF_Status.newStatus()) {
      TF_DeviceList list = tensorflow.TF_SessionListDevices(handle, status);
      status.throwExceptionIfNotOK();
      try {
        int n = tensorflow.TF_DeviceListCount(list);
        for (int i = 0; i < n; i++) {
          String name = tensorflow.TF_DeviceListName(list, i, status).getString();
          String type = tensorflow.TF_DeviceListType(list, i, status).getString();
          long memory = tensorflow.TF_DeviceListMemoryBytes(list, i, status);
          status.throwExceptionIfNotOK();
          out.add(new Device(name, type, memory, null));
        }
      } finally {
        tensorflow.TF_DeleteDeviceList(list);
      }
    }
    return out;
  }

  /** The GPUs a session of {@code compute} would see; a throwaway session on an empty graph. */
  public static List<Device> gpus(Compute compute, Map<Integer, String> computeCapabilities) {
    try (Graph g = new Graph(); Session s = new Session(g, false, compute.proto(0))) {
      List<Device> out = new ArrayList<>();
      for (Device d : list(s)) {
        if (d.type().equals("GPU")) {
          int index = Integer.parseInt(d.name().substring(d.name().lastIndexOf(':') + 1));
          out.add(new Device(d.name(), d.type(), d.memoryBytes(),
              computeCapabilities.get(index)));
        }
      }
      return out;
    }
  }

  /**
   * Compute capability by TensorFlow's GPU index, from nvidia-smi (TensorFlow's C API does not
   * give it); GPU i is the i-th of CUDA_VISIBLE_DEVICES when that lists indices. Empty without
   * nvidia-smi.
   */
  public static Map<Integer, String> computeCapabilities() {
    Map<Integer, String> byPhysical = new HashMap<>();
    try {
      Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=index,compute_cap",
          "--format=csv,noheader").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(),
          StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return Map.of();
      }
      for (String line : out.split("\\R")) {
        String[] f = line.split(",");
        if (f.length == 2 && f[0].strip().matches("\\d+")) {
          byPhysical.put(Integer.parseInt(f[0].strip()), f[1].strip());
        }
      }
    } catch (IOException e) {
      return Map.of(); // no nvidia-smi
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    }
    Map<Integer, String> out = new HashMap<>();
    String visible = System.getenv("CUDA_VISIBLE_DEVICES");
    if (visible == null) {
      return byPhysical;
    }
    String[] ids = visible.split(",");
    for (int i = 0; i < ids.length; i++) {
      String id = ids[i].strip();
      if (id.matches("\\d+") && byPhysical.containsKey(Integer.parseInt(id))) {
        out.put(i, byPhysical.get(Integer.parseInt(id)));
      }
    }
    return out;
  }

  /** The session's handle for the C API, which TensorFlow Java keeps private. */
  private static TF_Session handle(Session session) {
    try {
      Field f = Session.class.getDeclaredField("nativeHandle");
      f.setAccessible(true);
      return (TF_Session) f.get(session);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot reach the session's handle to list its devices ("
          + e + ")", e);
    }
  }
}
