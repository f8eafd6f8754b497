package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.orthoinit.experiment.Doctor;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.model.Compute;
import org.orthoinit.model.CudaLibraries;
import org.orthoinit.model.Devices;

/** --device and --tf32, and doctor, as far as a machine without a GPU can show them. */
class DeviceOptionsTest {

  @Test
  void aGpuBuildWithoutAGpuWarnsOnceForAWholeGrid() throws Exception {
    AtomicInteger probes = new AtomicInteger();
    DeviceOptions.Choice choice = new DeviceOptions.Choice(c -> {
      probes.incrementAndGet();
      return new Devices.Machine(true, List.of(), new CudaLibraries(null, List.of(
          new CudaLibraries.Library(CudaLibraries.DRIVER, null, null))), null);
    });
    StringWriter err = new StringWriter();
    PrintWriter w = new PrintWriter(err, true);
    for (int run = 0; run < 4; run++) {
      assertEquals(Compute.Device.CPU, choice.decide(Compute.DEFAULT, w).device());
    }
    String[] lines = err.toString().strip().split("\n");
    assertEquals(1, lines.length, err.toString());
    assertEquals("orthoinit: GPU natives, but no usable GPU: no NVIDIA driver (libcuda.so.1 not "
        + "found); running on the CPU", lines[0]);
    assertEquals(1, probes.get(), "the machine is probed once");
  }

  @Test
  void tf32IsRefusedWhereTheEnvironmentDecidesOtherwise() throws Exception {
    DeviceOptions.checkTf32(false, false); // exact, as the launcher sets it
    DeviceOptions.checkTf32(true, true); // asked for, and allowed
    Devices.Unavailable on = assertThrows(Devices.Unavailable.class,
        () -> DeviceOptions.checkTf32(false, true));
    assertTrue(on.getMessage().startsWith("TF32 would be on"), on.getMessage());
    Devices.Unavailable off = assertThrows(Devices.Unavailable.class,
        () -> DeviceOptions.checkTf32(true, false));
    assertTrue(off.getMessage().startsWith("--tf32: NVIDIA_TF32_OVERRIDE=0 is set"),
        off.getMessage());
  }

  @Test
  void badDeviceFlagsAreUsageErrors() {
    Cli r = Cli.run("train", "--device", "tpu");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("train: Invalid value for option '--device'"), r.err());
    Cli f = Cli.run("train", "--gpu-memory-fraction", "1.5", "--data", "/nonexistent");
    assertEquals(2, f.code());
    assertEquals("train: --gpu-memory-fraction must be in (0, 1], or 0 for no cap, got 1.5",
        f.err().strip());
  }

  @Test
  void aCpuBuildRefusesDeviceGpuWithTheReason() {
    Cli r = Cli.run("train", "--device", "gpu", "--data", "/nonexistent");
    assertEquals(1, r.code());
    assertEquals("train: --device gpu: this build has the CPU natives; build with the GPU ones "
        + "(ORTHOINIT_PROFILE=gpu ./orthoinit ..., or mvn -Pgpu package)", r.err().strip());
  }

  @Test
  void doctorOnTheCpuBuildSaysItsDevicesWork() throws Exception {
    Cli r = Cli.run("doctor", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode d = ResultStore.JSON.readTree(r.out());
    assertEquals("linux-x86_64", d.get("natives").asText());
    assertEquals(false, d.get("gpuNatives").asBoolean());
    assertTrue(d.get("ok").asBoolean());
    assertEquals(!"0".equals(System.getenv("TF_ENABLE_ONEDNN_OPTS")), d.get("onednn").asBoolean());
    JsonNode cpu = d.get("devices").get(0);
    assertEquals("CPU", cpu.get("type").asText());
    JsonNode matmul = d.get("matmuls").get(0);
    assertEquals(cpu.get("name").asText(), matmul.get("device").asText());
    assertTrue(matmul.get("seconds").asDouble() >= 2.0 && matmul.get("gflops").asDouble() > 0,
        matmul.toString());
    // the gradient sweep: every kind at every count, exact as training computes it
    JsonNode gradients = d.get("gradients");
    assertEquals(Doctor.SWEEP.size() * 8, gradients.size());
    for (JsonNode g : gradients) {
      assertTrue(g.get("error").asDouble() <= 1e-4, g.toString());
    }
    Cli text = Cli.run("doctor");
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().contains("natives       linux-x86_64 (CPU)"), text.out());
    assertTrue(text.out().contains("  channels    conv 1x1    conv 3x3  conv 3x3/2    groups 2"
        + "   depthwise      linear    max pool    avg pool"), text.out());
    assertTrue(text.out().strip().endsWith("ok: the build's devices work and compute exact "
        + "gradients"), text.out());
  }
}
