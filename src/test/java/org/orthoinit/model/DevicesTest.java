package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.proto.ConfigProto;

/** Device selection, the CUDA library probe and the session settings, without a GPU. */
class DevicesTest {

  @TempDir
  Path tmp;

  private static final Devices.Device GPU = new Devices.Device(
      "/job:localhost/replica:0/task:0/device:GPU:0", "GPU", 40L << 30, "8.0");

  /** A machine with the driver and every CUDA library, in {@code dir}. */
  private CudaLibraries complete(Path dir) throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("libcuda.so.550.54.15"), "");
    Files.createSymbolicLink(dir.resolve(CudaLibraries.DRIVER), dir.resolve("libcuda.so.550.54.15"));
    for (String soname : CudaLibraries.RUNTIME) {
      Files.writeString(dir.resolve(soname), "");
    }
    Path version = Files.writeString(tmp.resolve("version"),
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n");
    return CudaLibraries.probe(List.of(dir), Map.of(), List.of(), version);
  }

  private CudaLibraries none() {
    return CudaLibraries.probe(List.of(), Map.of(), List.of(), tmp.resolve("no-driver"));
  }

  @Test
  void theCudaProbeFindsLibrariesWithTheirVersionsAndNamesTheMissingOnes() throws Exception {
    CudaLibraries all = complete(tmp.resolve("lib"));
    assertEquals("550.54.15", all.driverVersion());
    assertTrue(all.driverFound());
    assertEquals(List.of(), all.missing());
    assertEquals("550.54.15", all.libraries().get(0).version());

    // cudart from the loader's cache (a versioned real file), nothing else anywhere
    Path cached = tmp.resolve("cache");
    Files.createDirectories(cached);
    Path real = Files.writeString(cached.resolve("libcudart.so.12.5.82"), "");
    Files.createSymbolicLink(cached.resolve("libcudart.so.12"), real);
    CudaLibraries some = CudaLibraries.probe(List.of(), Map.of("libcudart.so.12",
        cached.resolve("libcudart.so.12")), List.of(), tmp.resolve("no-driver"));
    assertNull(some.driverVersion());
    assertFalse(some.driverFound());
    CudaLibraries.Library cudart = some.libraries().stream()
        .filter(l -> l.soname().equals("libcudart.so.12")).findFirst().orElseThrow();
    assertEquals("12.5.82", cudart.version());
    assertEquals(List.of("libcuda.so.1", "libcublas.so.12", "libcublasLt.so.12",
        "libcufft.so.11", "libcusolver.so.11", "libcusparse.so.12", "libcudnn.so.9"),
        some.missing());
  }

  @Test
  void autoTakesTheGpuWhenTensorFlowListsOne() throws Exception {
    Devices.Resolution r = Devices.resolve(Compute.Device.AUTO,
        new Devices.Machine(true, List.of(GPU), complete(tmp.resolve("lib")), null));
    assertEquals(Compute.Device.GPU, r.device());
    assertNull(r.warning());
  }

  @Test
  void aCpuBuildRunsOnTheCpuSilentlyAndRefusesGpu() throws Exception {
    Devices.Machine cpuBuild = new Devices.Machine(false, List.of(), none(), null);
    Devices.Resolution r = Devices.resolve(Compute.Device.AUTO, cpuBuild);
    assertEquals(Compute.Device.CPU, r.device());
    assertNull(r.warning());
    Devices.Unavailable e = assertThrows(Devices.Unavailable.class,
        () -> Devices.resolve(Compute.Device.GPU, cpuBuild));
    assertTrue(e.getMessage().startsWith("--device gpu: this build has the CPU natives"),
        e.getMessage());
  }

  @Test
  void aGpuBuildWithoutAGpuSaysWhatIsMissingAndRunsOnTheCpu() throws Exception {
    Devices.Machine bare = new Devices.Machine(true, List.of(), none(), null);
    Devices.Resolution r = Devices.resolve(Compute.Device.AUTO, bare);
    assertEquals(Compute.Device.CPU, r.device());
    assertEquals("GPU natives, but no usable GPU: no NVIDIA driver (libcuda.so.1 not found); "
        + "libcudart.so.12, libcublas.so.12, libcublasLt.so.12, libcufft.so.11, "
        + "libcusolver.so.11, libcusparse.so.12, libcudnn.so.9 not found (TensorFlow 2.18 needs "
        + "CUDA 12 and cuDNN 9 on LD_LIBRARY_PATH or in the loader's cache); running on the CPU",
        r.warning());
    Devices.Unavailable e = assertThrows(Devices.Unavailable.class,
        () -> Devices.resolve(Compute.Device.GPU, bare));
    assertTrue(e.getMessage().startsWith("--device gpu: GPU natives, but no usable GPU: no "
        + "NVIDIA driver"), e.getMessage());
    // cpu asks for nothing
    assertNull(Devices.resolve(Compute.Device.CPU, bare).warning());
  }

  @Test
  void hiddenDevicesAndAMissingLibraryAreNamed() throws Exception {
    Path lib = tmp.resolve("lib");
    CudaLibraries all = complete(lib);
    assertEquals("no device visible through CUDA_VISIBLE_DEVICES=-1", Devices.missing(
        new Devices.Machine(true, List.of(), all, "-1")));
    assertEquals("no device visible through CUDA_VISIBLE_DEVICES=", Devices.missing(
        new Devices.Machine(true, List.of(), all, "")));
    Files.delete(lib.resolve("libcudnn.so.9"));
    CudaLibraries noCudnn = CudaLibraries.probe(List.of(lib), Map.of(), List.of(),
        tmp.resolve("version"));
    assertEquals("libcudnn.so.9 not found (TensorFlow 2.18 needs CUDA 12 and cuDNN 9 on "
        + "LD_LIBRARY_PATH or in the loader's cache)", Devices.missing(
        new Devices.Machine(true, List.of(), noCudnn, "0")));
    assertTrue(Devices.missing(new Devices.Machine(true, List.of(), all, null))
        .startsWith("TensorFlow lists no GPU though the driver 550.54.15 and the CUDA libraries"));
  }

  @Test
  void sessionSettingsHideGpusOnTheCpuAndGrowGpuMemory() {
    ConfigProto cpu = Compute.CPU.proto(2);
    assertEquals(0, cpu.getDeviceCountOrThrow("GPU"));
    assertEquals(2, cpu.getIntraOpParallelismThreads());
    ConfigProto gpu = new Compute(Compute.Device.GPU, false, true, 0.4).proto(0);
    assertFalse(gpu.containsDeviceCount("GPU"));
    assertTrue(gpu.getGpuOptions().getAllowGrowth());
    assertEquals(0.4, gpu.getGpuOptions().getPerProcessGpuMemoryFraction(), 1e-12);
    assertFalse(new Compute(Compute.Device.GPU, false, false, 0).proto(0).getGpuOptions()
        .getAllowGrowth());
    assertThrows(IllegalArgumentException.class,
        () -> new Compute(Compute.Device.GPU, false, true, 1.5));
  }

  @Test
  void aCpuSessionListsTheCpu() {
    try (Graph g = new Graph(); Session s = new Session(g, false, Compute.CPU.proto(1))) {
      List<Devices.Device> devices = Devices.list(s);
      assertEquals(1, devices.size(), devices.toString());
      assertEquals("/job:localhost/replica:0/task:0/device:CPU:0", devices.get(0).name());
      assertEquals("CPU", devices.get(0).type());
    }
  }
}
